"""Stripe's own definition of the pinned API version, as a checker: the installed `stripe` SDK's typed classes.

The SDK (pinned `stripe>=16.1,<17`) is generated from Stripe's OpenAPI spec for exactly one API version
(`stripe._api_version._ApiVersion.CURRENT`); each resource class (`stripe.Invoice`) and nested class
(`stripe.Invoice.Parent.SubscriptionDetails`) declares every field of that version with its type in
`__annotations__`. `problems(obj)` walks a JSON object (and every nested dict and list item) and reports, by
path, each field the class does not declare, each null where the type is not Optional, each value of the wrong
JSON type and each value outside a closed `Literal`. `path_problem(object_type, path)` says whether a JSON path
(as a staging model reads it) exists in that version.
"""

from __future__ import annotations

import decimal
import re
import sys
import typing
from functools import cache
from importlib import import_module
from typing import Any, ForwardRef, Literal, Union

import stripe
from stripe._list_object import ListObject
from stripe._object_classes import OBJECT_CLASSES
from stripe._stripe_object import StripeObject, UntypedStripeObject

DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
NONE = type(None)


@cache
def class_for(object_type: str) -> type | None:
    """The SDK class of an `object` value (`invoice` -> stripe.Invoice, `line_item` -> stripe.InvoiceLineItem)."""
    if object_type not in OBJECT_CLASSES:
        return None
    module, name = OBJECT_CLASSES[object_type]
    return getattr(import_module(module), name)


@cache
def fields_of(cls: type) -> dict[str, Any]:
    """Every field the class declares (its own and inherited annotations), without private names and ClassVars."""
    declared: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if name.startswith("_") or typing.get_origin(annotation) is typing.ClassVar:
                continue
            if isinstance(annotation, str) and annotation.startswith("ClassVar"):
                continue
            declared[name] = annotation
    if issubclass(cls, ListObject):
        declared["object"] = Literal["list"]
    return declared


def _resolve(annotation: Any, owner: type) -> Any:
    """A string or ForwardRef annotation ('Customer', 'Plan') as the class it names, when it can be found."""
    name = annotation.__forward_arg__ if isinstance(annotation, ForwardRef) else annotation
    if not isinstance(name, str):
        return annotation
    module = sys.modules.get(owner.__module__)
    for scope in (vars(module) if module else {}, vars(stripe)):
        if name in scope and isinstance(scope[name], type):
            return scope[name]
    return ForwardRef(name)  # a name only imported under TYPE_CHECKING: matched by the value's `object`


def _class_name(annotation: Any) -> str | None:
    if isinstance(annotation, ForwardRef):
        return annotation.__forward_arg__
    return annotation.__name__ if isinstance(annotation, type) else None


def problems(value: Any, annotation: Any = None, path: str = "", owner: type = StripeObject) -> list[str]:
    """What in `value` Stripe's definition does not allow (empty when it conforms).

    Without an annotation the value must be a Stripe object whose `object` names its class.
    """
    if annotation is None:
        if not isinstance(value, dict) or not isinstance(value.get("object"), str):
            return [f"{path or '<root>'}: not a Stripe object (no `object` field)"]
        cls = class_for(value["object"])
        if cls is None:
            return [f"{path or '<root>'}: `object` {value['object']!r} is no Stripe object type"]
        return _object_problems(value, cls, path)
    annotation = _resolve(annotation, owner)
    if annotation is Any:
        return []
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Union:
        return _union_problems(value, args, path, owner)
    if value is None:
        return [f"{path}: null, but the field is never null in this version"]
    if origin is Literal:
        return [] if value in args else [f"{path}: {value!r} is not one of {list(args)}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        return [p for i, item in enumerate(value) for p in problems(item, args[0], f"{path}[{i}]", owner)]
    if isinstance(origin, type) and issubclass(origin, ListObject):
        if not isinstance(value, dict):
            return [f"{path}: expected a list object, got {type(value).__name__}"]
        found = _object_problems({k: v for k, v in value.items() if k != "data"}, ListObject, path)
        if not isinstance(value.get("data"), list):
            return [*found, f"{path}.data: a list object must have a `data` list"]
        for i, item in enumerate(value.get("data") or []):
            found += problems(item, args[0], f"{path}.data[{i}]", owner)
        return found
    if isinstance(origin, type) and issubclass(origin, UntypedStripeObject):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        return [p for key, item in value.items() for p in problems(item, args[0], f"{path}.{key}", owner)]
    if isinstance(annotation, ForwardRef):
        return _named_problems(value, annotation.__forward_arg__, path)
    if annotation is decimal.Decimal:  # Stripe sends decimals as strings ("1000", "12.5")
        ok = isinstance(value, str) and DECIMAL.match(value)
        return [] if ok else [f"{path}: a decimal must be a string of digits, got {value!r}"]
    if annotation is bool:
        return [] if isinstance(value, bool) else [f"{path}: expected a boolean, got {value!r}"]
    if annotation is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected an integer, got {value!r}"]
    if annotation is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected a number, got {value!r}"]
    if annotation is str:
        return [] if isinstance(value, str) else [f"{path}: expected a string, got {value!r}"]
    if isinstance(annotation, type) and issubclass(annotation, StripeObject):
        if not isinstance(value, dict):
            return [f"{path}: expected {annotation.__qualname__}, got {value!r}"]
        if isinstance(value.get("object"), str) and class_for(value["object"]) not in (None, annotation) \
                and "." not in annotation.__qualname__:
            return [f"{path}: expected a {annotation.__qualname__}, got object {value['object']!r}"]
        return _object_problems(value, annotation, path)
    return [f"{path}: no rule for the type {annotation!r}"]


def _union_problems(value: Any, args: tuple, path: str, owner: type) -> list[str]:
    if value is None:
        return [] if NONE in args else [f"{path}: null, but the field is never null in this version"]
    members = [a for a in args if a is not NONE]
    if str in members and isinstance(value, str):
        return []  # an id (ExpandableField) or an open enum (Literal[...] | str)
    attempts = [problems(value, member, path, owner) for member in members]
    if any(not found for found in attempts):
        return []
    if isinstance(value, dict) and isinstance(value.get("object"), str):
        named = [_class_name(_resolve(m, owner)) for m in members]
        cls = class_for(value["object"])
        if cls is not None and cls.__name__ not in named and not _alias_of(cls, named):
            return [f"{path}: object {value['object']!r} is not allowed here ({named})"]
    return min(attempts, key=len)


def _alias_of(cls: type, names: list[str | None]) -> bool:
    """`CardResource`, `DisputeResource`: the SDK imports some classes under another name."""
    return any(name and name.endswith("Resource") and name.removesuffix("Resource") == cls.__name__ for name in names)


def _named_problems(value: Any, name: str, path: str) -> list[str]:
    """A class named only under TYPE_CHECKING: the value must be that object (by its `object`)."""
    if not isinstance(value, dict) or not isinstance(value.get("object"), str):
        return [f"{path}: expected a {name} object, got {value!r}"]
    cls = class_for(value["object"])
    if cls is None or (cls.__name__ != name and not _alias_of(cls, [name])):
        return [f"{path}: expected a {name}, got object {value['object']!r}"]
    return _object_problems(value, cls, path)


def _object_problems(value: dict, cls: type, path: str) -> list[str]:
    declared = fields_of(cls)
    found: list[str] = []
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if key not in declared:
            found.append(f"{where}: not a field of stripe.{cls.__qualname__} in this version")
        elif cls.__name__ == "Event" and key == "data":
            found += _event_data_problems(item, where)
        else:
            found += problems(item, declared[key], where, cls)
    if cls is not ListObject and "object" in declared:
        expected = typing.get_args(declared["object"])
        if expected and value.get("object") not in expected:
            found.append(f"{path or '<root>'}.object: {value.get('object')!r} is not {list(expected)}")
    return found


def _event_data_problems(data: Any, path: str) -> list[str]:
    """An event's `data.object` is the object it is about; `previous_attributes` holds some of its fields."""
    if not isinstance(data, dict):
        return [f"{path}: expected an object"]
    found = [f"{path}.{key}: not a field of stripe.Event.Data" for key in data if key not in ("object",
                                                                                             "previous_attributes")]
    obj = data.get("object")
    found += problems(obj, None, f"{path}.object")
    cls = class_for(obj["object"]) if isinstance(obj, dict) and isinstance(obj.get("object"), str) else None
    previous = data.get("previous_attributes")
    if cls is not None and isinstance(previous, dict):
        declared = fields_of(cls)
        for key, item in previous.items():
            if key not in declared:
                found.append(f"{path}.previous_attributes.{key}: not a field of stripe.{cls.__qualname__}")
            else:
                found += problems(item, declared[key], f"{path}.previous_attributes.{key}", cls)
    return found


# --- JSON paths a model reads ------------------------------------------------------------------------------------

def path_problem(object_type: str, path: list[str]) -> str | None:
    """None when `path` (keys; `data`/digits step into lists, as `data->'lines'->'data'->0` does) exists in the
    class of `object_type`; otherwise where it leaves Stripe's definition."""
    cls = class_for(object_type)
    if cls is None:
        return f"{object_type!r} is no Stripe object type"
    annotation: Any = cls
    owner: type = cls
    walked: list[str] = []
    for step in path:
        annotation = _strip(_resolve(annotation, owner))
        if annotation is Any:  # an event's data.object: any object, checked as itself elsewhere
            return None
        origin = typing.get_origin(annotation)
        if origin is list and (step.isdigit() or step == "*"):
            annotation = typing.get_args(annotation)[0]
            walked.append(step)
            continue
        if isinstance(origin, type) and issubclass(origin, ListObject):
            if step == "data":
                annotation = list[typing.get_args(annotation)[0]]
                walked.append(step)
                continue
            annotation = ListObject
        if isinstance(origin, type) and issubclass(origin, UntypedStripeObject):  # metadata: any key
            annotation = typing.get_args(annotation)[0]
            walked.append(step)
            continue
        if isinstance(annotation, ForwardRef):
            resolved = class_for(_object_name(annotation.__forward_arg__))
            if resolved is None:
                return f"{'.'.join(walked)} is a {annotation.__forward_arg__} the checker cannot resolve"
            annotation = resolved
        if not (isinstance(annotation, type) and issubclass(annotation, StripeObject)):
            return f"{'.'.join([*walked, step])}: {'.'.join(walked) or object_type} is a scalar, it has no {step!r}"
        declared = fields_of(annotation)
        if step not in declared:
            return (f"{'.'.join([*walked, step])}: not a field of stripe.{annotation.__qualname__} "
                    f"in API version {stripe._api_version._ApiVersion.CURRENT}")
        owner = annotation
        annotation = declared[step]
        walked.append(step)
    return None


def _strip(annotation: Any) -> Any:
    """Optional[X] / ExpandableField[X] (Union[str, X]) -> X: the object a path can step into."""
    if typing.get_origin(annotation) is Union:
        members = [a for a in typing.get_args(annotation) if a not in (NONE, str)]
        structured = [m for m in members if typing.get_origin(m) is not Literal]
        if len(structured) >= 1:
            return structured[0]
        return members[0] if members else str
    return annotation


def _object_name(class_name: str) -> str:
    for object_type, (_, name) in OBJECT_CLASSES.items():
        if name == class_name:
            return object_type
    return class_name


# --- what the staging models read --------------------------------------------------------------------------------

JSON_MACROS = ("json_text", "json_id", "json_array_sum", "json_array_aggregate", "json_array_length", "json_array",
               "json_array_elements_join")
MACRO_CALL = re.compile(r"\b(" + "|".join(JSON_MACROS) + r")\s*\(")
SOURCE = re.compile(r"source\(\s*'raw_stripe'\s*,\s*'(\w+)'\s*\)")
RAW_OPERATOR = re.compile(r"(->>?|#>>?)")
COMMENTS = re.compile(r"\{#.*?#\}|--[^\n]*", re.DOTALL)  # Jinja and SQL comments


# raw_stripe tables that are no list endpoint of Stripe's, and the object each holds: Stripe lists no discounts, the
# loader lands those it expands in the subscriptions listing and those of customer.discount.* events.
NOT_LISTED_TABLES = {"discounts": "discount"}


@cache
def object_type_of_table(table: str) -> str | None:
    """The `object` a raw_stripe table holds: tables are named as Stripe's list endpoint (`/v1/invoice_payments`),
    except those in NOT_LISTED_TABLES."""
    if table in NOT_LISTED_TABLES:
        return NOT_LISTED_TABLES[table]
    for object_type in OBJECT_CLASSES:
        cls = class_for(object_type)
        try:
            url = cls.class_url() if cls is not None and hasattr(cls, "class_url") else None
        except Exception:  # noqa: BLE001 (classes without a URL of their own raise)
            continue
        if url == f"/v1/{table}":
            return object_type
    return None


def _call_text(sql: str, start: int) -> str:
    """The macro call starting at `start`, up to its balanced closing parenthesis."""
    depth, quote = 0, None
    for index in range(start, len(sql)):
        char = sql[index]
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return sql[start:index + 1]
    raise ValueError(f"unbalanced macro call at {sql[start:start + 60]!r}")


def json_reads(sql: str) -> tuple[list[str], list[tuple[list[str], str]]]:
    """The raw_stripe tables a model reads and every JSON path it reads in them, as (path from the object, call).

    Paths are read from the JSON macros (json_text, json_id, json_array_*: `column`, `path`, element `field`,
    `where` keys); an array element (json_array_elements_join's alias) starts at its array's path plus `*`. A raw
    JSON operator (->, ->>, #>, #>>) is reported as unreadable, so nothing a model reads escapes the check.
    """
    import ast

    sql = COMMENTS.sub(" ", sql)
    tables = SOURCE.findall(sql)
    aliases: dict[str, list[str]] = {"data": []}
    reads: list[tuple[list[str], str]] = []
    calls = [_call_text(sql, match.start()) for match in MACRO_CALL.finditer(sql)]
    # Aliases first, so a read through an element finds its array wherever the join is written.
    parsed = []
    for text in calls:
        call = ast.parse(text, mode="eval").body
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
        args = [ast.literal_eval(arg) for arg in call.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
        parsed.append((call.func.id, args, kwargs, text))
        if call.func.id == "json_array_elements_join":
            column, path, alias = args[0].split(".")[-1], list(args[1]), args[2]
            aliases[alias] = [*aliases.get(column, ["<unknown column " + column + ">"]), *path, "*"]
    for name, args, kwargs, text in parsed:
        column = args[0].split(".")[-1]
        base = aliases.get(column, [f"<unknown column {column}>"])
        path = [*base, *args[1]]
        if name in ("json_array_sum", "json_array_aggregate"):
            field_name = args[2] if len(args) > 2 else kwargs["field"]
            where = kwargs.get("where") or (args[4] if len(args) > 4 else None) or {}
            reads += [([*path, "*", key], text) for key in [field_name, *where]]
        else:
            reads.append((path, text))
    without_macros = MACRO_CALL.sub("", sql)
    for match in RAW_OPERATOR.finditer(without_macros):
        reads.append(([f"<raw JSON operator {match.group(1)} not read through a json macro>"], match.group(0)))
    return tables, reads


def staging_problems(models: dict[str, str]) -> list[str]:
    """For each model (name -> SQL), every JSON path it reads that Stripe's pinned version does not define."""
    found: list[str] = []
    for name, sql in sorted(models.items()):
        tables, reads = json_reads(sql)
        if len(set(tables)) != 1:
            found.append(f"{name}: reads {sorted(set(tables)) or 'no'} raw_stripe table(s); the check needs one")
            continue
        object_type = object_type_of_table(tables[0])
        if object_type is None:
            found.append(f"{name}: raw_stripe.{tables[0]} is not a Stripe list endpoint (nor in NOT_LISTED_TABLES)")
            continue
        for path, text in reads:
            if any(step.startswith("<") for step in path):
                found.append(f"{name}: {' '.join(s for s in path if s.startswith('<'))} in {text}")
                continue
            problem = path_problem(object_type, [step if step != "*" else "0" for step in path])
            if problem:
                found.append(f"{name} ({object_type}): {problem}   <- {text}")
    return found
