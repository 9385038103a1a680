"""What rules work with: resources of any format, values that may be unknown, rules.

A document's values are not always literal: a CloudFormation ``!Ref`` to a parameter, a
Terraform ``${var.name}``, an ARM ``[parameters('name')]``, a plan value known only after
apply. An :class:`Inventory` resolves what it can and answers every lookup with the list
of values a property *may* take: literal values, :data:`MISSING` when it is not set, and
:data:`UNKNOWN` when the document does not say. Rules report a violation only for values
they know: an unknown value is given the benefit of the doubt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from cloudcraver_hookspecs import InfrastructureDocument, Severity

from .integers import list_index

if TYPE_CHECKING:
    from .config import PolicyConfig

__all__ = [
    "MISSING",
    "UNKNOWN",
    "CheckFunction",
    "Inventory",
    "PathSegment",
    "Resource",
    "Rule",
    "Violation",
    "escape_pointer",
    "is_false",
    "is_true",
    "resources_of_type",
    "split_path",
]

#: One step of a property path: a key, or an index into a list.
PathSegment = str | int

# A property that may take more values than this (nested Fn::If...) is treated as unknown.
_MAX_CANDIDATES = 64


class _Marker:
    """A value that is not data: printed by name, equal only to itself."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: A value the document does not determine (an unresolved reference or function).
UNKNOWN: Final[Any] = _Marker("UNKNOWN")
#: A property that is not set (absent, ``null`` or ``Ref: AWS::NoValue``).
MISSING: Final[Any] = _Marker("MISSING")


def escape_pointer(segment: PathSegment) -> str:
    """``segment`` escaped for a JSON pointer (``~`` and ``/``)."""
    text = str(segment)
    if "~" not in text and "/" not in text:  # nearly every name: nothing to escape
        return text
    return text.replace("~", "~0").replace("/", "~1")


def split_path(path: str) -> tuple[PathSegment, ...]:
    """A dotted property path as segments; all-digit parts index lists (``Rules.0.Status``)."""
    return tuple(part if (index := list_index(part)) is None else index for part in path.split("."))


def is_true(value: Any) -> bool:
    """Whether ``value`` is true as templates write it (``true`` or the string ``"true"``)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: Any) -> bool:
    """Whether ``value`` is false as templates write it (``false`` or ``"false"``)."""
    return value is False or (isinstance(value, str) and value.lower() == "false")


@dataclass(frozen=True)
class Resource:
    """One resource of a document.

    :param type: its type as written: ``AWS::S3::Bucket``, ``aws_s3_bucket``,
        ``Microsoft.Storage/storageAccounts``...
    :param address: how findings name it: logical id, Terraform address, ARM name.
    :param body: its attributes: the CloudFormation resource (``Type``, ``Properties``...),
        the Terraform block or plan ``values``, the ARM resource object.
    :param pointer: the JSON pointer of the resource in the document.
    :param body_pointer: the JSON pointer of ``body``.
    :param origin: the file declaring it, when it is another file of the same Terraform
        module (absolute path); empty for the document's own resources.
    """

    type: str
    address: str
    body: Mapping[str, Any]
    pointer: str
    body_pointer: str
    origin: str = ""

    def at(self, *path: PathSegment) -> str:
        """The JSON pointer of a property of the body."""
        return self.body_pointer + "".join("/" + escape_pointer(part) for part in path)


@dataclass(frozen=True)
class Violation:
    """A resource breaking a rule.

    :param resource: the resource.
    :param message: what is wrong, in one sentence.
    :param pointer: where, as a JSON pointer (default: the resource itself).
    """

    resource: Resource
    message: str
    pointer: str | None = None


class Inventory:
    """The resources of one document, and how to read its values.

    Subclasses (one per format, in :mod:`.formats`) find the resources and know how the
    format refers to values, tags, regions and names.
    """

    #: The document format this inventory reads.
    format: str = ""

    def __init__(self, document: InfrastructureDocument, resources: Sequence[Resource]) -> None:
        self.document = document
        self.resources = list(resources)
        #: Per-document caches shared by the rules (companion resources...).
        self.memo: dict[Any, Any] = {}

    # ------------------------------------------------------------------ values

    def resolve(self, value: Any) -> list[Any]:
        """The values ``value`` may stand for; literals stand for themselves."""
        return [MISSING if value is None else value]

    def lookup(self, root: Any, path: Sequence[PathSegment]) -> list[Any]:
        """Every value the property at ``path`` under ``root`` may take.

        A text key applied to a list applies to each item (Terraform writes blocks as
        lists); an integer indexes a list.
        """
        resolve, step = self.resolve, self.step
        values = resolve(root)
        for segment in path:
            if len(values) == 1:  # most steps: one value, one child
                if values[0] is MISSING:
                    # Nothing is under a property that is not set: every format steps and
                    # resolves MISSING to itself. Most lookups end here (a bucket's unset
                    # settings), and a file may have 90,000 buckets.
                    return values
                children = step(values[0], segment)
                if len(children) == 1:
                    values = resolve(children[0])  # a new list: callers may extend it
                    if len(values) > _MAX_CANDIDATES:
                        return [UNKNOWN]
                    continue
            else:
                children = [child for value in values for child in step(value, segment)]
            stepped: list[Any] = []
            for child in children:
                stepped.extend(resolve(child))
            if len(stepped) > _MAX_CANDIDATES:
                return [UNKNOWN]
            values = stepped
        return values

    def step(self, value: Any, segment: PathSegment) -> list[Any]:
        """The children of ``value`` at ``segment`` (not yet resolved)."""
        return _step(value, segment)

    def holds(
        self, root: Any, path: Sequence[PathSegment], predicate: Callable[[Any], bool]
    ) -> bool:
        """Whether every value the property may take satisfies ``predicate``.

        Unknown values pass; :data:`MISSING` is given to ``predicate`` like any value.
        """
        for value in self.lookup(root, path):
            if value is not UNKNOWN and not predicate(value):
                return False
        return True

    def texts(self, root: Any, path: Sequence[PathSegment]) -> list[str]:
        """The known text values of a property (unknown and missing values left out)."""
        return [value for value in self.lookup(root, path) if isinstance(value, str)]

    # ------------------------------------------------------------------ resources

    def type_matches(self, resource: Resource, *types: str) -> bool:
        """Whether ``resource`` is of one of ``types``."""
        return resource.type in types

    def of_type(self, *types: str) -> list[Resource]:
        """The resources of the given types, in document order (a shared list: do not change it).

        Remembered per document: rules ask for the same types once per bucket, and a
        scan per question would make a document of many buckets quadratic.
        """
        if type(self).type_matches is Inventory.type_matches:  # exact type names
            return resources_of_type(self.resources, types, self.memo)
        key = ("of_type", types)
        found: list[Resource] | None = self.memo.get(key)
        if found is None:
            found = [resource for resource in self.resources if self.type_matches(resource, *types)]
            self.memo[key] = found
        return found

    def references(self, resource: Resource, attribute: str) -> set[str]:
        """The addresses of the resources an attribute of ``resource`` refers to."""
        return set()

    # ------------------------------------------------------------------ related resources

    def related(self, *types: str) -> list[Resource]:
        """Resources of the given types that may configure this document's resources.

        The document's own (:meth:`of_type`), and for a Terraform file those of the other
        files of its module too. Rules check the document's resources only, and look up
        what configures them (split resources, log destinations...) here.
        """
        return self.of_type(*types)

    @property
    def shared_memo(self) -> dict[Any, Any]:
        """Caches of what :meth:`related` finds, shared by the documents that share it."""
        return self.memo

    def is_local(self, resource: Resource) -> bool:
        """Whether ``resource`` is declared in this document (its pointers point into it)."""
        return not resource.origin

    # ------------------------------------------------------------------ tags, names, regions

    def taggable(self, resource: Resource) -> bool:
        """Whether the organisation's required tags apply to ``resource``."""
        return False

    def tag_keys(self, resource: Resource) -> set[str] | None:
        """The tag keys ``resource`` certainly carries; ``None`` when the document does not say."""
        return None

    def tag_key_folds_case(self, resource: Resource) -> bool:
        """Whether tag keys of ``resource`` compare without case (GCP labels are lowercase)."""
        return False

    def cloud_names(self, resource: Resource) -> list[str]:
        """The known names ``resource`` gets in the cloud (a bucket name...), if any."""
        return []

    def regions(self, resource: Resource) -> list[str]:
        """The known regions or locations ``resource`` is deployed to, if any."""
        return []


def resources_of_type(
    resources: Sequence[Resource], types: tuple[str, ...], memo: dict[Any, Any]
) -> list[Resource]:
    """The ``resources`` of one of ``types`` (exact names), in order; a shared list.

    The resources are indexed by type once (kept in ``memo``): rules ask for a dozen
    types, and a scan of every resource per question costs more than the index.
    """
    key = ("of_type", types)
    found: list[Resource] | None = memo.get(key)
    if found is None:
        index: dict[str, list[Resource]] | None = memo.get("by_type")
        if index is None:
            index = memo["by_type"] = {}
            for resource in resources:
                index.setdefault(resource.type, []).append(resource)
        if len(types) == 1:
            found = index.get(types[0], [])
        else:
            wanted = set(types)
            found = [resource for resource in resources if resource.type in wanted]
        memo[key] = found
    return found


def _step(value: Any, segment: PathSegment) -> list[Any]:
    if value is UNKNOWN:
        return [UNKNOWN]
    # Parsed documents hold dicts and lists (the host's read-only subclasses of them):
    # checked first, the Mapping ABC check costs 5x more.
    is_list = isinstance(value, list)
    if isinstance(value, dict) or (not is_list and isinstance(value, Mapping)):
        key = segment if isinstance(segment, str) else str(segment)
        return [value.get(key, MISSING)]
    if is_list:
        if isinstance(segment, int):
            return [value[segment]] if 0 <= segment < len(value) else [MISSING]
        if not value:
            return [MISSING]
        return [child for item in value for child in _step(item, segment)]
    return [MISSING]


#: A rule's check: the violations it finds in an inventory, under a configuration.
CheckFunction = Callable[[Inventory, "PolicyConfig"], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    """A policy rule.

    :param id: stable kebab-case identifier (``aws-s3-encryption``).
    :param severity: its default severity (the configuration may change it).
    :param description: what it requires, in one sentence.
    :param remediation: what to change when it fails.
    :param check: finds the violations.
    :param checkov: the checkov check ids it corresponds to.
    :param default_enabled: whether it runs without being listed in ``enabled_rules``.
    """

    id: str
    severity: Severity
    description: str
    remediation: str
    check: CheckFunction = field(repr=False, compare=False)
    checkov: tuple[str, ...] = ()
    default_enabled: bool = True
