"""Clients built on python3-websockets (Debian's 10.4) that follow a script, for Duplex's mock tests.

Usage: mock_client.py SCRIPT_JSON
SCRIPT_JSON is a list of operations, run in order; each names its client with "c".
Prints one JSON line: {"results": [...]}, one result per operation.

  {"op": "connect", "c": "a", "url": U, "subprotocols": [...], "headers": {...}, "cafile": PEM}
      -> {"subprotocol": P} or {"status": HTTP status} when the handshake is refused
  {"op": "refused", "url": U, "headers": {...}}      raw upgrade request: -> {"status", "body", "headers"}
  {"op": "send", "c": "a", "text": T} / {"op": "send", "c": "a", "hex": H}
  {"op": "recv", "c": "a"}      -> {"type": "text", "text"} / {"type": "binary", "hex"} / {"closed": code, "reason"}
  {"op": "recvUntil", "c": "a", "text": T}  -> {"texts": [...]} every text message up to and including T
  {"op": "recvUntil", "c": "a", "same": I}  the same, up to the text that result I received
  {"op": "ping", "c": "a"}      sends a ping; {"op": "ponged", "c": "a"} -> {"ponged": bool} for the last ping
  {"op": "close", "c": "a", "code": N, "reason": R}  -> {"code", "reason"} the server answered
  {"op": "frames", "url": U, "text": T}   a raw sans-I/O connection (websockets' own frame parser):
      sends T, -> {"frames": [{"opcode", "fin", "size"}...]} of the reply, up to its final frame
"""
import asyncio
import http.client
import json
import socket
import ssl
import sys
from urllib.parse import urlparse

import websockets
from websockets.client import ClientConnection
from websockets.frames import Opcode
from websockets.uri import parse_uri

TIMEOUT = 10


def as_result(message):
    if isinstance(message, str):
        return {"type": "text", "text": message}
    return {"type": "binary", "hex": message.hex()}


def refused(op):
    u = urlparse(op["url"])
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT)
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    headers.update(op.get("headers", {}))
    conn.request("GET", u.path + (("?" + u.query) if u.query else ""), headers=headers)
    r = conn.getresponse()
    body = r.read().decode()
    conn.close()
    return {"status": r.status, "body": body, "headers": {k.lower(): v for k, v in r.getheaders()}}


def frames(op):
    """One message through websockets' Sans-I/O client: every frame of the reply as parsed."""
    uri = parse_uri(op["url"])
    conn = ClientConnection(uri)
    sock = socket.create_connection((uri.host, uri.port), timeout=TIMEOUT)
    conn.send_request(conn.connect())
    out = []
    sent = False
    done = False
    while not done:
        for data in conn.data_to_send():
            if data:
                sock.sendall(data)
        if conn.state.name == "OPEN" and not sent:
            conn.send_text(op["text"].encode())
            sent = True
            continue
        chunk = sock.recv(65536)
        if not chunk:
            break
        conn.receive_data(chunk)
        for event in conn.events_received():
            if hasattr(event, "opcode"):
                out.append({"opcode": event.opcode.name, "fin": event.fin, "size": len(event.data)})
                if event.fin and event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
                    done = True
    sock.close()
    return {"frames": out}


async def main(script):
    clients = {}
    pings = {}
    results = []
    for op in script:
        kind = op["op"]
        c = op.get("c")
        if kind == "connect":
            # websockets reads an explicit ssl=None as "no TLS": pass ssl only with a CA file.
            tls = {"ssl": ssl.create_default_context(cafile=op["cafile"])} if "cafile" in op else {}
            try:
                ws = await websockets.connect(
                    op["url"],
                    **tls,
                    subprotocols=op.get("subprotocols"),
                    extra_headers=list(op.get("headers", {}).items()),
                    open_timeout=TIMEOUT,
                    ping_interval=None,
                )
                clients[c] = ws
                results.append({"subprotocol": ws.subprotocol})
            except websockets.exceptions.InvalidStatusCode as e:
                results.append({"status": e.status_code})
            except ssl.SSLError as e:
                results.append({"error": type(e).__name__})
        elif kind == "refused":
            results.append(await asyncio.get_running_loop().run_in_executor(None, refused, op))
        elif kind == "frames":
            results.append(await asyncio.get_running_loop().run_in_executor(None, frames, op))
        elif kind == "send":
            await clients[c].send(op["text"] if "text" in op else bytes.fromhex(op["hex"]))
            results.append({})
        elif kind == "recv":
            try:
                results.append(as_result(await asyncio.wait_for(clients[c].recv(), TIMEOUT)))
            except websockets.exceptions.ConnectionClosed:
                ws = clients[c]
                results.append({"closed": ws.close_code, "reason": ws.close_reason})
        elif kind == "recvUntil":
            until = op["text"] if "text" in op else results[op["same"]]["text"]
            texts = []
            while not texts or texts[-1] != until:
                message = await asyncio.wait_for(clients[c].recv(), TIMEOUT)
                texts.append(message if isinstance(message, str) else message.hex())
            results.append({"texts": texts})
        elif kind == "ping":
            pings[c] = await clients[c].ping()
            results.append({})
        elif kind == "ponged":
            results.append({"ponged": pings[c].done()})
        elif kind == "close":
            ws = clients[c]
            await ws.close(op.get("code", 1000), op.get("reason", ""))
            results.append({"code": ws.close_code, "reason": ws.close_reason})
        else:
            raise ValueError("unknown op " + kind)
    for ws in clients.values():
        await ws.close()
    print(json.dumps({"results": results, "version": websockets.__version__}))


asyncio.run(main(json.loads(sys.argv[1])))
