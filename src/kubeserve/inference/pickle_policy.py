"""Which globals a model's pickle may import: a second wall behind the sandbox.

Unpickling calls whatever globals the file names. Real models only name the classes and
rebuild helpers of a few libraries; anything else (`builtins.eval`, `os.system`, a name
smuggled through an allowed module such as `numpy:os.system`) is refused by default. An
owner who knows why their model needs more sets the version's `allow_unsafe_pickle`.
"""

from __future__ import annotations

from collections.abc import Iterable

SWITCH = "allow_unsafe_pickle"

# Top-level packages whose classes and rebuild helpers real models pickle.
ALLOWED_PACKAGES = frozenset(
    {
        "sklearn",
        "numpy",
        "scipy",
        "pandas",
        "joblib",
        "xgboost",
        "lightgbm",
        "catboost",
        "collections",
        "copyreg",
        "datetime",
        "decimal",
        "fractions",
        "array",
        "zoneinfo",
        "pytz",
        "dateutil",
    }
)
# Exact globals allowed from modules that otherwise hold dangerous names.
ALLOWED_GLOBALS = frozenset(
    {"_codecs:encode", "functools:partial", "re:_compile", "uuid:UUID"}
    | {
        f"{module}:{name}"
        for module in ("builtins", "__builtin__")
        for name in (
            "bool",
            "bytearray",
            "bytes",
            "complex",
            "dict",
            "float",
            "frozenset",
            "int",
            "list",
            "object",
            "range",
            "set",
            "slice",
            "str",
            "tuple",
        )  # fmt: skip
    }
)
# Names that run code or reach the system, wherever they are imported from.
DANGEROUS_NAMES = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "sys",
        "shutil",
        "socket",
        "pathlib",
        "importlib",
        "runpy",
        "code",
        "pty",
        "ctypes",
        "webbrowser",
        "urllib",
        "http",
        "pickle",
        "marshal",
        "builtins",
        "__builtins__",
        "eval",
        "exec",
        "compile",
        "open",
        "__import__",
        "getattr",
        "setattr",
        "delattr",
        "globals",
        "locals",
        "vars",
        "system",
        "popen",
        "spawn",
        "execv",
        "execve",
        "fork",
        "loads",
        "load",
        "input",
        "breakpoint",
        "__reduce__",
        "__reduce_ex__",
    }  # fmt: skip
)


# Modules of allowed packages that run what they are given under harmless names
# (`numpy.testing._private.utils.runstring` is `exec`; `numpy.ctypeslib.load_library` dlopens;
# `pandas.core.computation.expr.Expr(src)` evaluates `src`, attribute access and calls included,
# in its constructor: `sys.modules.get('os').system(...)`).
DANGEROUS_MODULES = frozenset(
    {"testing", "_testing", "tests", "_private", "f2py", "distutils", "ctypeslib", "computation"}
)


# What a pickle may *call* from an allowed package, besides classes: the rebuild helpers of
# the packages' own types, by exact name or by the conventions numpy, pandas and Cython name
# them with (`numpy._core.multiarray._reconstruct`, `pandas...._unpickle_block`, `_new_Index`,
# `__pyx_unpickle_SeedSequence`, `numpy.random._pickle.__generator_ctor`).
REBUILD_NAMES = frozenset({"_reconstruct", "scalar", "_frombuffer", "newObj"})
REBUILD_PREFIXES = ("__pyx_unpickle_", "_unpickle", "_new_")
REBUILD_SUFFIXES = ("_unpickle", "_ctor")


def refused(globals_: Iterable[str], extra_modules: Iterable[str] = ()) -> list[str]:
    """The `module:name` globals outside the allow-list (`extra_modules`: the user's own code)."""
    packages = ALLOWED_PACKAGES | {m.split(".")[0] for m in extra_modules if m}
    bad = []
    for item in globals_:
        module, _, name = item.partition(":")
        allowed = item in ALLOWED_GLOBALS or module.split(".")[0] in packages
        dangerous = DANGEROUS_NAMES.intersection(name.split(".")) or DANGEROUS_MODULES.intersection(
            module.split(".")
        )
        if not allowed or dangerous:
            bad.append(item)
    return bad


def not_rebuilders(globals_: Iterable[str], extra_modules: Iterable[str] = ()) -> list[str]:
    """Globals of the allowed packages that are callable yet neither a class, a numpy ufunc
    nor a rebuild helper (`pandas.io.pickle.read_pickle`, `numpy.loadtxt`, ...): the names
    `refused` lets through that would run a library function of the pickle's choosing.

    Imports each global's module: call it only where the pickle is about to be loaded anyway
    (the sandboxed build, with the version's own packages active)."""
    import importlib

    own = {m.split(".")[0] for m in extra_modules if m}
    bad = []
    for item in globals_:
        module, _, name = item.partition(":")
        top = module.split(".")[0]
        if item in ALLOWED_GLOBALS or top not in ALLOWED_PACKAGES or top in own:
            continue
        try:
            found: object = importlib.import_module(module)
            for part in name.split("."):
                found = getattr(found, part)
        except (ImportError, AttributeError):
            continue  # loading fails on it anyway, with its own clear reason
        if not _rebuilds(found, name.rsplit(".", 1)[-1]) or not _ours(found) or _where(found) in LOADERS:
            bad.append(item)
    return bad


# Named like a rebuild helper, yet a whole unpickler: joblib's loader runs a second, unchecked
# unpickling of the file object it is given.
LOADERS = frozenset({"joblib.numpy_pickle:_unpickle"})


def _where(found: object) -> str:
    return f"{getattr(found, '__module__', None)}:{getattr(found, '__qualname__', None)}"


def _ours(found: object) -> bool:
    """Defined in an allowed package (outside its dangerous modules), not only reachable
    through one: a pickle names a class or helper by the module that defines it, so
    `dateutil.zoneinfo:BytesIO` (io.BytesIO) or `scipy._lib._ccallback:PyCFuncPtr` (ctypes'
    function pointer) is never an honest one's."""
    origin = getattr(found, "__module__", None)
    if not callable(found) or not isinstance(origin, str):
        return True
    parts = origin.split(".")  # `pandas.io.pytables:Term` is pandas.core.computation's
    return parts[0] in ALLOWED_PACKAGES and not DANGEROUS_MODULES.intersection(parts)


def _rebuilds(found: object, name: str) -> bool:
    if isinstance(found, type) or not callable(found) or type(found).__name__ == "ufunc":
        return True
    return name in REBUILD_NAMES or name.startswith(REBUILD_PREFIXES) or name.endswith(REBUILD_SUFFIXES)


def reason(bad: list[str]) -> str:
    """What a refused build says: each offending global, how to ship one's own classes, and
    how to accept the rest knowingly."""
    from kubeserve.inference.shipped import HOW_TO_SHIP

    names = [g.replace(":", ".") for g in bad]
    own = [n for n, g in zip(names, bad, strict=True) if not DANGEROUS_NAMES.intersection(_parts(g))]
    text = f"the model's pickle imports {', '.join(names)}, which a model's libraries do not provide"
    if own:
        text += f"; if {', '.join(own)} is your own code, {HOW_TO_SHIP}"
    return (
        f"{text}. Unpickling runs what a pickle imports: if you wrote this pickle and trust it, "
        f'create the version with "{SWITCH}": true and upload again.'
    )


def _parts(item: str) -> set[str]:
    module, _, name = item.partition(":")
    return {*module.split("."), *name.split(".")}
