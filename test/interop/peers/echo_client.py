"""A client built on python3-websockets (Debian's 10.4), an independent peer for Duplex.

Usage: echo_client.py URL
Connects with the header X-Peer: python-websockets, sends the text "hello from python"
and the bytes 00 01 fe ff, reads two replies, closes with 4001 "python done", and
prints one JSON line: the replies (type and content), the chosen subprotocol and the
close code and reason the server sent back.
"""
import asyncio
import json
import sys

import websockets


async def main(url):
    async with websockets.connect(
        url,
        extra_headers=[("X-Peer", "python-websockets")],
        subprotocols=["chat.v1"],
        open_timeout=5,
    ) as ws:
        await ws.send("hello from python")
        await ws.send(bytes([0x00, 0x01, 0xFE, 0xFF]))
        replies = []
        for _ in range(2):
            reply = await asyncio.wait_for(ws.recv(), 5)
            if isinstance(reply, str):
                replies.append({"type": "text", "text": reply})
            else:
                replies.append({"type": "binary", "hex": reply.hex()})
        await ws.close(4001, "python done")
        print(
            json.dumps(
                {
                    "replies": replies,
                    "subprotocol": ws.subprotocol,
                    "closeCode": ws.close_code,
                    "closeReason": ws.close_reason,
                    "version": websockets.__version__,
                }
            ),
            flush=True,
        )


asyncio.run(main(sys.argv[1]))
