"""The HTTP edge: one ASGI app on one uvicorn server, with the limits a public endpoint needs."""
