"""A local stand-in for an energy-metering API, for the meter-readings example.

Two endpoints, each a JSON document with an array of timestamped readings:

- GET /v2/electricity/readings?from=&to=&page_size=&page_token=
    quarter-hourly interval consumption of the electricity meters, ISO
    timestamps, `from`/`to` inclusive, paged by an opaque `next_page_token`:
    {"meters": [...], "unit": "kWh", "readings": [{"meter_id", "read_at",
    "kwh", "quality"}], "next_page_token": "..." | null}
- GET /v2/gas/readings?start=&end=&offset=&limit=
    hourly volume of the gas meters, epoch seconds, paged by offset:
    {"data": {"unit": "m3", "readings": [{"meter_id", "timestamp", "m3",
    "estimated"}]}, "paging": {"offset", "limit", "total"}}

Every request needs `X-Api-Key: <key>` (else 401). The readings are a
function of the meter and the time, from --start for --days days, so every
run serves the same data. Started again with more --days, it has new
readings, and an incremental sync moves only those.

    python3 server.py [--key K] [--start 2026-01-01] [--days 14] [--port 0]

It prints `PORT <n>` first, then serves on 127.0.0.1 until killed.
"""
import argparse
import base64
import datetime as dt
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ELECTRICITY_METERS = ["E-1001", "E-1002", "E-1003"]
GAS_METERS = ["G-2001", "G-2002"]
UTC = dt.timezone.utc


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def electricity(start, days):
    """Every electricity reading, in (read_at, meter_id) order."""
    out = []
    for q in range(days * 96):
        t = start + dt.timedelta(minutes=15 * (q + 1))
        for m, meter in enumerate(ELECTRICITY_METERS):
            # A daily curve: more at breakfast and in the evening.
            hour = t.hour + t.minute / 60
            base = 0.08 + 0.05 * m + (0.3 if 7 <= hour < 9 or 17 <= hour < 22 else 0.0)
            kwh = round(base + ((q * 7 + m * 13) % 11) / 100, 3)
            quality = "estimated" if (q + m) % 97 == 0 else "measured"
            out.append({"meter_id": meter, "read_at": t, "kwh": kwh, "quality": quality})
    return out


def gas(start, days):
    """Every gas reading, in (timestamp, meter_id) order."""
    out = []
    for h in range(days * 24):
        t = start + dt.timedelta(hours=h + 1)
        for m, meter in enumerate(GAS_METERS):
            m3 = round(0.1 + (0.6 if 6 <= t.hour < 23 else 0.05) * (1 + m) + ((h * 5 + m) % 7) / 50, 3)
            out.append({"meter_id": meter, "timestamp": t, "m3": m3, "estimated": (h + m) % 50 == 0})
    return out


class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self._headers_buffer.append(b"\r\n")
        self.wfile.write(b"".join(self._headers_buffer) + data)
        self._headers_buffer = []

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if self.headers.get("X-Api-Key") != self.server.key:
            return self.reply(401, {"error": "invalid API key"})
        try:
            if url.path == "/v2/electricity/readings":
                return self.electricity(q)
            if url.path == "/v2/gas/readings":
                return self.gas(q)
        except (KeyError, ValueError) as e:
            return self.reply(400, {"error": f"bad request: {e}"})
        return self.reply(404, {"error": "not found"})

    def electricity(self, q):
        lo, hi = parse_iso(q["from"]), parse_iso(q["to"])
        if hi - lo > dt.timedelta(days=31):
            return self.reply(400, {"error": "the range is limited to 31 days"})
        size = min(int(q.get("page_size", 100)), 1000)
        skip = int(base64.urlsafe_b64decode(q["page_token"]).decode()) if "page_token" in q else 0
        hits = [r for r in self.server.electricity if lo <= r["read_at"] <= hi]
        page = hits[skip : skip + size]
        more = skip + size < len(hits)
        return self.reply(200, {
            "meters": ELECTRICITY_METERS,
            "unit": "kWh",
            "readings": [dict(r, read_at=iso(r["read_at"])) for r in page],
            "next_page_token": base64.urlsafe_b64encode(str(skip + size).encode()).decode() if more else None,
        })

    def gas(self, q):
        lo = dt.datetime.fromtimestamp(int(q["start"]), UTC)
        hi = dt.datetime.fromtimestamp(int(q["end"]), UTC)
        offset, limit = int(q.get("offset", 0)), min(int(q.get("limit", 100)), 500)
        hits = [r for r in self.server.gas if lo <= r["timestamp"] <= hi]
        page = hits[offset : offset + limit]
        readings = [dict(r, timestamp=int(r["timestamp"].timestamp())) for r in page]
        return self.reply(200, {
            "data": {"unit": "m3", "readings": readings},
            "paging": {"offset": offset, "limit": limit, "total": len(hits)},
        })


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--key", default="demo-key-123")
    p.add_argument("--start", default="2026-01-01")
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()
    start = dt.datetime.strptime(a.start, "%Y-%m-%d").replace(tzinfo=UTC)
    server = ThreadingHTTPServer((a.host, a.port), Api)
    server.daemon_threads = True
    server.key = a.key
    server.electricity = electricity(start, a.days)
    server.gas = gas(start, a.days)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
