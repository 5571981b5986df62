# What android-sms-gateway's clients may ask for and this gateway does not have (imported on the
# first such request, smsgw.net.ondemand): a 404 whose message names what is missing, instead of
# a bare "not found". Also /health/live, /health/ready and /health/startup (the app's probes):
# the /health document.
from smsgw.net.api import error

_MISSING = {
    "auth": "JWT tokens are not supported: use HTTP Basic auth",
    "inbox": "MMS attachments and inbox export are not supported",
    "media": "MMS is not supported",
}


async def unsupported(ctx, request):
    seg = request.path.split("/")[1]
    if seg == "health" and request.path in ("/health/live", "/health/ready", "/health/startup"):
        from smsgw.net import health
        from smsgw.net.jsonout import json_stream

        doc = health.build(ctx)
        return json_stream(doc, 500 if doc["status"] == "fail" else 200)
    return error(404, _MISSING.get(seg, "not found"))
