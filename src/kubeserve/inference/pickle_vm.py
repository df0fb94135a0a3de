"""A symbolic pickle machine: follows the opcodes' stack effects, never imports or calls.

Used by `pickle_scan`. Values it cannot know (the result of calling a global) become `Obj`
placeholders remembering what would have been called with which arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Corrupt(ValueError):
    """The opcodes do not form a valid pickle."""


@dataclass(frozen=True)
class Global:
    module: str
    name: str

    def __str__(self) -> str:
        return f"{self.module}:{self.name}"


@dataclass(eq=False)
class Obj:
    """What calling `func(*args)` (then BUILD with `state`) would have produced."""

    func: Any
    args: Any = ()
    state: Any = None

    def qualname(self) -> str:
        func, args = self.func, self.args
        if isinstance(func, Global) and func.name == "_reconstructor" and args:
            func = args[0]  # protocol 0/1 objects: copyreg._reconstructor(cls, base, state)
        return f"{func.module}.{func.name}" if isinstance(func, Global) else "?"


_MARK = object()
_STRINGS = {
    "STRING",
    "BINSTRING",
    "SHORT_BINSTRING",
    "UNICODE",
    "BINUNICODE",
    "SHORT_BINUNICODE",
    "BINUNICODE8",
    "BINBYTES",
    "SHORT_BINBYTES",
    "BINBYTES8",
}
_NUMBERS = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT"}
_CONSTANTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}
_NOOPS = {"PROTO", "FRAME", "STOP", "READONLY_BUFFER"}


class Machine:
    """Executes opcodes symbolically; `globals` lists every `module:name` a load imports."""

    def __init__(self) -> None:
        self.stack: list[Any] = []
        self.memo: dict[int, Any] = {}
        self.globals: list[str] = []
        self.sklearn_version: str | None = None

    def pop_mark(self) -> list[Any]:
        items: list[Any] = []
        while (item := self.stack.pop()) is not _MARK:
            items.append(item)
        return items[::-1]

    def _global(self, module: Any, name: Any) -> Global:
        if not isinstance(module, str) or not isinstance(name, str):
            raise Corrupt("global name is not a string")
        g = Global(module, name)
        if str(g) not in self.globals:
            self.globals.append(str(g))
        return g

    def _setitems(self, target: Any, pairs: list[Any]) -> None:
        if not isinstance(target, dict):
            return
        for key, value in zip(pairs[::2], pairs[1::2], strict=True):
            if key == "_sklearn_version" and isinstance(value, str):
                self.sklearn_version = value
            if isinstance(key, str | int | float | bool | None):
                target[key] = value

    def step(self, name: str, arg: Any) -> Any:
        """Apply one opcode; returns the object a BUILD just completed, else None."""
        s = self.stack
        if name in _STRINGS or name in _NUMBERS:
            s.append(arg)
        elif name in _CONSTANTS:
            s.append(_CONSTANTS[name])
        elif name == "MARK":
            s.append(_MARK)
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            self.memo[arg] = s[-1]
        elif name == "MEMOIZE":
            self.memo[len(self.memo)] = s[-1]
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            s.append(self.memo[arg])
        elif name == "GLOBAL":
            s.append(self._global(*arg.split(" ", 1)))
        elif name == "STACK_GLOBAL":
            qual, module = s.pop(), s.pop()
            s.append(self._global(module, qual))
        elif name == "INST":
            s.append(Obj(self._global(*arg.split(" ", 1)), tuple(self.pop_mark())))
        elif name == "OBJ":
            items = self.pop_mark()
            s.append(Obj(items[0], tuple(items[1:])))
        else:
            return self._step_containers(name, arg)
        return None

    def _step_containers(self, name: str, arg: Any) -> Any:
        s = self.stack
        if name == "EMPTY_TUPLE":
            s.append(())
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            items = tuple(s[-n:])
            del s[-n:]
            s.append(items)
        elif name == "TUPLE":
            s.append(tuple(self.pop_mark()))
        elif name in ("EMPTY_LIST", "EMPTY_SET"):
            s.append([])
        elif name == "EMPTY_DICT":
            s.append({})
        elif name in ("LIST", "FROZENSET"):
            s.append(self.pop_mark())
        elif name == "DICT":
            new: dict[Any, Any] = {}
            self._setitems(new, self.pop_mark())
            s.append(new)
        elif name == "APPEND":
            s.pop()
        elif name in ("APPENDS", "ADDITEMS", "POP_MARK"):
            self.pop_mark()
        elif name == "SETITEM":
            value, key = s.pop(), s.pop()
            self._setitems(s[-1], [key, value])
        elif name == "SETITEMS":
            pairs = self.pop_mark()
            self._setitems(s[-1], pairs)
        else:
            return self._step_objects(name, arg)
        return None

    def _step_objects(self, name: str, arg: Any) -> Any:
        s = self.stack
        if name == "REDUCE":
            args, func = s.pop(), s.pop()
            s.append(Obj(func, args))
        elif name == "NEWOBJ":
            args, cls = s.pop(), s.pop()
            s.append(Obj(cls, args))
        elif name == "NEWOBJ_EX":
            _kwargs, args, cls = s.pop(), s.pop(), s.pop()
            s.append(Obj(cls, args))
        elif name == "BUILD":
            state, obj = s.pop(), s[-1]
            if isinstance(obj, Obj):
                obj.state = state
                return obj
        elif name == "POP":
            s.pop()
        elif name == "DUP":
            s.append(s[-1])
        elif name in ("PERSID", "BINPERSID", "EXT1", "EXT2", "EXT4"):
            if name == "BINPERSID":
                s.pop()
            s.append(Obj(self._global("<pickle>", name.lower()), (arg,)))
        elif name in ("BYTEARRAY8", "NEXT_BUFFER"):
            s.append(Obj(Global("builtins", "bytearray")))
        elif name not in _NOOPS:
            raise Corrupt(f"unsupported opcode {name}")
        return None
