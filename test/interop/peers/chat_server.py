"""A chat room built on python3-websockets (Debian's 10.4), an independent peer for Duplex flows.

Listens on 127.0.0.1 on a free port and prints {"port": N} on stdout when ready.
- On connect it sends {"type": "welcome", "id": N} (N counts clients from 1).
- A text message {"type": "say", "text": T} goes to every other client as
  {"type": "said", "from": N, "text": T}.
- The text "quit" is answered with a close 4001 "bye".
- Anything else (text or binary) is echoed to its sender with its type.
Runs until stdin closes (the test process ends), so it never outlives its test.
"""
import asyncio
import json
import sys

import websockets

clients = set()
next_id = 0


async def handler(ws, path):
    global next_id
    next_id += 1
    me = next_id
    clients.add(ws)
    try:
        await ws.send(json.dumps({"type": "welcome", "id": me}))
        async for message in ws:
            if message == "quit":
                await ws.close(4001, "bye")
                break
            parsed = None
            if isinstance(message, str):
                try:
                    parsed = json.loads(message)
                except ValueError:
                    parsed = None
            if isinstance(parsed, dict) and parsed.get("type") == "say":
                out = json.dumps({"type": "said", "from": me, "text": parsed.get("text")})
                await asyncio.gather(*(c.send(out) for c in clients if c is not ws), return_exceptions=True)
                continue
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    finally:
        clients.discard(ws)


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, subprotocols=["chat.v1"]) as server:
        print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
