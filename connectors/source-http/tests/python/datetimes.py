"""The reference for source-http's datetime formats: airbyte-cdk's own
DatetimeParser. Reads JSON lines, prints one JSON line per input:
    {"parse": TEXT, "format": F}              -> {"micros": N, "offset": S} or {"error": true}
    {"micros": N, "offset": S, "format": F}   -> {"text": T} or {"error": true}
"""
import datetime
import json
import sys

from airbyte_cdk.sources.declarative.datetime.datetime_parser import DatetimeParser

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
parser = DatetimeParser()

for line in sys.stdin:
    q = json.loads(line)
    try:
        if "parse" in q:
            dt = parser.parse(q["parse"], q["format"])
            delta = dt - EPOCH
            micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
            out = {"micros": micros, "offset": int(dt.utcoffset().total_seconds())}
        else:
            tz = datetime.timezone(datetime.timedelta(seconds=q["offset"]))
            dt = (EPOCH + datetime.timedelta(microseconds=q["micros"])).astimezone(tz)
            out = {"text": parser.format(dt, q["format"])}
    except (ValueError, OverflowError, OSError, TypeError):
        out = {"error": True}
    print(json.dumps(out))
