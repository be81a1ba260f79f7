"""dlcourse: the teaching library of the STAT 4710 deep-learning unit.

The numpy core (models, losses, penalties, objectives, optim, landscapes,
convexity, gradcheck, data) imports only numpy. Plotting, widgets, PyTorch
helpers and grading live in modules that are imported where they are used::

    from dlcourse import objectives, optim
    F = objectives.ridge_regression(X, y, lam=0.1)
    result = optim.gradient_descent(F, beta0, learning_rate=0.1)
"""

__version__ = "0.1.0"

# Submodules are loaded on first attribute access, so `import dlcourse` stays light.
_SUBMODULES = {
    "functions", "models", "losses", "penalties", "objectives", "optim", "landscapes",
    "convexity", "gradcheck", "data", "networks", "graphs", "autograd", "conv", "text", "homework",
}


def __getattr__(name):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'dlcourse' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)
