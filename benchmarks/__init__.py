"""Running strategies on scenarios: the main job, outputs, tracking.

Importing this package first (every ``python -m benchmarks.<command>`` does) turns off numpy's
transparent-huge-page advice for the process and the workers it starts, unless
``NUMPY_MADVISE_HUGEPAGE`` is already set. Measured on this project's machines (VMs whose memory
balloon reports free memory to the host): a fresh huge page is first touched on the host, so a new
53 MB array cost 0.17 s instead of 0.03 s, and the 1,000,000-customer scenario build 2.43 s instead
of 1.60 s with a solve no slower (README, "Scale"). ``NUMPY_MADVISE_HUGEPAGE=1`` restores numpy's
default; compare with ``python -m benchmarks.scale`` on a machine where huge pages are cheap.
"""
import os

os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")  # read by numpy when it is imported, so before any import
