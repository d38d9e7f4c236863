"""An echo server built on python3-websockets (Debian's 10.4), an independent peer for Duplex.

Listens on 127.0.0.1 on a free port and prints {"port": N} on stdout when ready.
- /echo (any path but /private): echoes every message with its type (str stays text,
  bytes stay binary); offers subprotocols chat.v2 and chat.v1; on the text "close-me"
  it closes with 4002 "bye from python"; on the text "stream" it sends STREAM_COUNT
  messages of varied sizes (see stream_message), every fifth one fragmented into
  1,000-byte frames. When a client closes, prints
  {"closed": code, "reason": reason} on stdout.
- /private: refused with HTTP 401, a WWW-Authenticate header and a text body.
Runs until stdin closes (the test process ends), so it never outlives its test.
"""
import asyncio
import http
import json
import sys

import websockets

UNAUTHORIZED_BODY = b"token required: send Authorization: Bearer <token>\n"


STREAM_COUNT = 120


def stream_message(i):
    """Message i of the "stream" reply: (size * 7919) % 70000 bytes of A-Z in a pattern, binary when i is even."""
    size = (i * 7919) % 70000
    data = bytes(0x41 + ((i * 7 + j) % 26) for j in range(size))
    return data if i % 2 == 0 else data.decode("ascii")


def say(obj):
    print(json.dumps(obj), flush=True)


async def process_request(path, headers):
    if path.startswith("/private"):
        return (
            http.HTTPStatus.UNAUTHORIZED,
            [("WWW-Authenticate", 'Bearer realm="duplex-test"'), ("Content-Type", "text/plain")],
            UNAUTHORIZED_BODY,
        )
    return None


async def handler(ws, path):
    try:
        async for message in ws:
            if message == "close-me":
                await ws.close(4002, "bye from python")
                break
            if message == "stream":
                for i in range(STREAM_COUNT):
                    data = stream_message(i)
                    if i % 5 == 4:
                        await ws.send([data[k : k + 1000] for k in range(0, len(data), 1000)] or [data])
                    else:
                        await ws.send(data)
                continue
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    say({"closed": ws.close_code, "reason": ws.close_reason, "path": path, "subprotocol": ws.subprotocol})


async def main():
    async with websockets.serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=["chat.v2", "chat.v1"],
        process_request=process_request,
    ) as server:
        say({"port": server.sockets[0].getsockname()[1], "version": websockets.__version__})
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
