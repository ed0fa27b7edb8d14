"""What the Python runners (compat/python/run.py, compat/cli/run.py) share:
the plan of calls and the filling of its placeholders. Standard library
only."""

import json
import os
import threading


def load():
    """The operations of compat/plan.json, in order."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "plan.json")) as f:
        return json.load(f)["operations"]


def fill(value, placeholders):
    """value with every placeholder string replaced by what its function
    in placeholders returns, called only when the placeholder is met."""
    if isinstance(value, dict):
        return {k: fill(v, placeholders) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, placeholders) for v in value]
    if isinstance(value, str) and value in placeholders:
        return placeholders[value]()
    return value


def once(f):
    """f, called at most once (calls may come from several threads): for
    what does not change in a run."""
    memo = []
    lock = threading.Lock()

    def get():
        with lock:
            if not memo:
                memo.append(f())
            return memo[0]
    return get
