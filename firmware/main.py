# Board entry point: start the SMS gateway (everything lives in smsgw.app).
import gc

gc.collect()
from smsgw import app  # noqa: E402

gc.collect()
app.main("/config.json")
