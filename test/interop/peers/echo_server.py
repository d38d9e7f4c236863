"""An echo server built on python3-websockets (Debian's 10.4), an independent peer for Duplex.

Listens on 127.0.0.1 on a free port and prints {"port": N} on stdout when ready.
- /echo (any path but /private): echoes every message with its type (str stays text,
  bytes stay binary); offers subprotocols chat.v2 and chat.v1; on the text "close-me"
  it closes with 4002 "bye from python". When a client closes, prints
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
