# The webhook endpoints on the gateway's microdot app (smsgw.net.api's Basic auth covers them):
#   GET /webhooks                  -> [{"id", "url", "event"}]
#   POST /webhooks                 -> 201 stored object | 400
#   DELETE /webhooks/<id>          -> 204 | 404
#   GET /webhooks/dead             -> dead deliveries, oldest first
#   POST /webhooks/dead/replay     -> 200 {"replayed": n}; body {"ids": [event ids]} or none (all)


def add_routes(app, hooks):
    """Register the endpoints above on the microdot `app` for the Webhooks instance `hooks`.

    GET /webhooks, POST /webhooks -> 201, DELETE /webhooks/<id> -> 204 | 404,
    GET /webhooks/dead, POST /webhooks/dead/replay ({"ids": [event ids]} or {} for all).
    """
    from smsgw.net.api import error, json_body

    def _body(req, optional=False):
        if optional and not req.body:
            return {}
        return json_body(req)

    @app.route("/webhooks", methods=["GET"])
    async def _list(req):
        return hooks.hooks

    @app.route("/webhooks", methods=["POST"])
    async def _create(req):
        try:
            status, obj = hooks.create(_body(req))
        except ValueError as exc:
            return error(400, str(exc))
        return obj, status

    @app.route("/webhooks/dead", methods=["GET"])
    async def _dead(req):
        return hooks.dead_list()

    @app.route("/webhooks/dead/replay", methods=["POST"])
    async def _replay(req):
        try:
            status, obj = hooks.replay(_body(req, True))
        except ValueError as exc:
            return error(400, str(exc))
        return obj, status

    @app.route("/webhooks/<wid>", methods=["DELETE"])
    async def _delete(req, wid):
        if hooks.delete(wid) == 404:
            return error(404, "webhook not found")
        return "", 204
