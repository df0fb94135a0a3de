"""`python -m kubeserve.inference`: the same as `kubeserve serve-model`."""

import gc
import sys

# Start-up creates long-lived objects, hardly any garbage: collections would only walk them.
# `startup.start` freezes what is loaded and turns collection back on.
_collecting = gc.isenabled()
gc.disable()

from kubeserve.inference import startup  # noqa: E402
from kubeserve.inference.cli import main  # noqa: E402

if __name__ == "__main__":
    startup.resume_gc = _collecting
    sys.exit(main())
