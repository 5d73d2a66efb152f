"""The Lambda function's entry point (template.yaml's Handler): the app, built from the environment
at init. `portfolio-api dev` serves the same `app`, so the local server runs what Lambda runs.

The garbage collector is off while the module loads, the app's modules included: init allocates
hundreds of thousands of objects that live as long as the process, and collecting passes over them
find nothing to free. Once the handler exists they are frozen (moved out of the collector's sight)
and it runs again. On Lambda the DynamoDB client and the hot services are built here too, while
the collector is still paused, and the SnapStart hooks are registered (`snapstart.py`).
"""

import gc

gc.disable()

import os

from portfolio_api import snapstart
from portfolio_api.main import build_handler, create_app

# Module-level names: template.yaml's Handler, which scripts/check_artifact.py looks for. Should
# any of this raise, the import fails and the process with it, collector paused or not.
app = create_app()
handler = build_handler(app)
if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):  # on Lambda: made now, not by the first request
    app.state.container.prepare()
snapstart.register(app, handler)
gc.freeze()
gc.enable()
