"""The WebSocket examples of the commissioning page, verbatim but for the imports.

The page uses ``time`` without importing it and spells the framework ``falcon``; both are
supplied by the import block below. Nothing else is changed.
"""

# ruff: noqa
# fmt: off
import asyncio
import json
import time

import lanner as falcon
import lanner.asgi

# ---- from the page, unchanged ------------------------------------------------------------

class ChatWebSocket:
    def __init__(self):
        self.connections = set()
    
    async def on_websocket(self, req, ws):
        await ws.accept()
        self.connections.add(ws)
        
        try:
            while True:
                message = await ws.receive_text()
                data = json.loads(message)
                
                # Broadcast to all connections
                await self.broadcast({
                    'user': data.get('user', 'Anonymous'),
                    'message': data.get('message', ''),
                    'timestamp': time.time()
                })
        except falcon.WebSocketDisconnected:
            pass
        finally:
            self.connections.discard(ws)
    
    async def broadcast(self, data):
        """Broadcast message to all connected clients"""
        if self.connections:
            message = json.dumps(data)
            await asyncio.gather(
                *[ws.send_text(message) for ws in self.connections],
                return_exceptions=True
            )

class EchoWebSocket:
    async def on_websocket(self, req, ws):
        await ws.accept()
        
        try:
            while True:
                # Handle different message types
                try:
                    # Try to receive as JSON first
                    data = await ws.receive_json()
                    await ws.send_json({
                        'echo': data,
                        'type': 'json'
                    })
                except ValueError:
                    # Fall back to text
                    message = await ws.receive_text()
                    await ws.send_text(f"Echo: {message}")
        except falcon.WebSocketDisconnected:
            print("Client disconnected")

# Register WebSocket routes
app = falcon.asgi.App()
app.add_route('/chat', ChatWebSocket())
app.add_route('/echo', EchoWebSocket())
