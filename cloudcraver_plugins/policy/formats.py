"""One :class:`~.model.Inventory` per document format.

Each knows where the format keeps its resources, how it refers to values (CloudFormation
``Ref``/``Fn::If``/``Fn::Sub``, Terraform ``${var.x}``, ARM ``[parameters('x')]``, plan
values unknown until apply), how resources refer to each other, and where tags, names and
regions live. Documents of an unexpected shape give fewer resources, never an error.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from cloudcraver_hookspecs import InfrastructureDocument

from .integers import list_index
from .model import (
    MISSING,
    UNKNOWN,
    Inventory,
    PathSegment,
    Resource,
    escape_pointer,
    resources_of_type,
)

__all__ = [
    "INTERPOLATION",
    "MODULE_SUFFIXES",
    "ArmInventory",
    "CloudFormationInventory",
    "TerraformBase",
    "TerraformInventory",
    "TerraformModule",
    "TerraformPlanInventory",
    "base_address",
    "inventory_for",
]

# Resource types the required tags apply to even when they carry no tags yet; any resource
# already carrying tags (or labels) is taggable too.
_TAGGABLE = frozenset(
    {
        "AWS::S3::Bucket",
        "AWS::KMS::Key",
        "aws_s3_bucket",
        "aws_kms_key",
        "microsoft.storage/storageaccounts",
        "azurerm_storage_account",
        "google_storage_bucket",
    }
)
# Where each type keeps the name it gets in the cloud.
_NAME_PROPERTY = {
    "AWS::S3::Bucket": ("Properties", "BucketName"),
    "aws_s3_bucket": ("bucket",),
    "azurerm_storage_account": ("name",),
    "google_storage_bucket": ("name",),
    "microsoft.storage/storageaccounts": ("name",),
}
_MAX_RESOLVE_DEPTH = 10
#: The files Terraform reads as one module: every file of a folder with these suffixes.
MODULE_SUFFIXES = (".tf", ".tf.json")


def inventory_for(
    document: InfrastructureDocument, module: TerraformModule | None = None
) -> Inventory | None:
    """The inventory of ``document``; ``None`` for a format the rules do not check.

    :param module: for a Terraform file, the module (folder) it belongs to: its resources
        are checked with what the other files declare (see :class:`TerraformModule`).
    """
    if document.format == "terraform":
        return TerraformInventory.from_document(document, module)
    readers: dict[str, Callable[[InfrastructureDocument], Inventory]] = {
        "cloudformation": CloudFormationInventory.from_document,
        "terraform-plan": TerraformPlanInventory.from_document,
        "arm": ArmInventory.from_document,
    }
    read = readers.get(document.format)
    return None if read is None else read(document)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, (dict, Mapping)) else {}


def _objects(value: Any, pointer: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    """``value`` as mappings: itself, or each mapping of a list (JSON blocks may be either)."""
    if isinstance(value, (dict, Mapping)):  # dict first: the Mapping check costs more
        yield value, pointer
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, (dict, Mapping)):
                yield item, f"{pointer}/{index}"


# ---------------------------------------------------------------------- CloudFormation


class CloudFormationInventory(Inventory):
    """``Resources`` of a CloudFormation template; ``Ref`` resolves to parameter defaults."""

    format = "cloudformation"

    @classmethod
    def from_document(cls, document: InfrastructureDocument) -> CloudFormationInventory:
        """Read the resources of ``document``."""
        resources = []
        for logical_id, body in _mapping(_mapping(document.data).get("Resources")).items():
            if isinstance(body, Mapping) and isinstance(body.get("Type"), str):
                pointer = f"/Resources/{escape_pointer(logical_id)}"
                resources.append(Resource(body["Type"], str(logical_id), body, pointer, pointer))
        return cls(document, resources)

    def __init__(self, document: InfrastructureDocument, resources: list[Resource]) -> None:
        super().__init__(document, resources)
        data = _mapping(document.data)
        self.parameters = _mapping(data.get("Parameters"))
        self.mappings = _mapping(data.get("Mappings"))

    def resolve(self, value: Any) -> list[Any]:
        """The values an intrinsic function may give, as far as the template says.

        ``Ref`` gives the parameter's default (or each allowed value), ``Fn::If`` both
        branches whatever the condition (a parameter can be overridden at deploy time),
        ``Fn::FindInMap`` the entry, or every entry its unknown keys could pick;
        ``Fn::Sub``, ``Fn::Join`` and ``Fn::Select`` their result when every part is
        known. Anything else (``Fn::GetAtt``, pseudo parameters...) is unknown.
        """
        return self._resolve(value, 0)

    def _resolve(self, value: Any, depth: int) -> list[Any]:
        if value is None:
            return [MISSING]
        if not isinstance(value, (dict, Mapping)):  # dict first: cheaper
            return [value]
        if len(value) != 1:
            return [value]
        if depth > _MAX_RESOLVE_DEPTH:
            return [UNKNOWN]
        ((function, argument),) = value.items()
        if function == "Ref":
            return self._ref(argument)
        if function == "Fn::If":
            if isinstance(argument, list) and len(argument) == 3:
                branches = [*self._resolve(argument[1], depth + 1)]
                branches += self._resolve(argument[2], depth + 1)
                return branches
            return [UNKNOWN]
        if function == "Fn::Sub":
            return [self._sub(argument, depth)]
        if function == "Fn::Join":
            return [self._join(argument, depth)]
        if function == "Fn::Select":
            return self._select(argument, depth)
        if function == "Fn::FindInMap":
            return self._find_in_map(argument, depth)
        if isinstance(function, str) and (function.startswith("Fn::") or function == "Condition"):
            return [UNKNOWN]
        return [value]

    def _ref(self, name: Any) -> list[Any]:
        if name == "AWS::NoValue":
            return [MISSING]
        parameter = self.parameters.get(name) if isinstance(name, str) else None
        if not isinstance(parameter, Mapping):
            return [UNKNOWN]  # a pseudo parameter or a resource
        kind = parameter.get("Type")
        listed = isinstance(kind, str) and (
            kind == "CommaDelimitedList" or kind.startswith("List<")
        )
        if "Default" in parameter:
            default = parameter["Default"]
            if listed and isinstance(default, str):
                return [[item.strip() for item in default.split(",")]]
            return [default]
        allowed = parameter.get("AllowedValues")
        return list(allowed) if isinstance(allowed, list) and allowed else [UNKNOWN]

    def _scalar(self, value: Any, depth: int) -> str | None:
        """``value`` as text when it resolves to exactly one string or number."""
        values = self._resolve(value, depth + 1)
        if len(values) != 1 or isinstance(values[0], bool):
            return None
        return str(values[0]) if isinstance(values[0], (str, int, float)) else None

    def _sub(self, argument: Any, depth: int) -> Any:
        variables: Mapping[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2:
            argument, variables = argument[0], _mapping(argument[1])
        if not isinstance(argument, str):
            return UNKNOWN

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ${!Literal} is the literal ${Literal}
            text = (
                self._scalar(variables[name], depth)
                if name in variables
                else self._scalar({"Ref": name}, depth)
            )
            if text is None:
                raise LookupError(name)
            return text

        try:
            return re.sub(r"\$\{([^}]*)\}", replace, argument)
        except LookupError:
            return UNKNOWN

    def _join(self, argument: Any, depth: int) -> Any:
        if not (isinstance(argument, list) and len(argument) == 2):
            return UNKNOWN
        delimiter, parts = argument
        items = self._resolve(parts, depth + 1)
        if not isinstance(delimiter, str) or len(items) != 1 or not isinstance(items[0], list):
            return UNKNOWN
        texts = [self._scalar(part, depth) for part in items[0]]
        if any(text is None for text in texts):
            return UNKNOWN
        return delimiter.join(text for text in texts if text is not None)

    def _select(self, argument: Any, depth: int) -> list[Any]:
        if not (isinstance(argument, list) and len(argument) == 2):
            return [UNKNOWN]
        text = self._scalar(argument[0], depth)
        index = None if text is None else list_index(text)
        items = self._resolve(argument[1], depth + 1)
        if index is None or len(items) != 1:
            return [UNKNOWN]
        if not isinstance(items[0], list) or index >= len(items[0]):
            return [UNKNOWN]
        return self._resolve(items[0][index], depth + 1)

    def _find_in_map(self, argument: Any, depth: int) -> list[Any]:
        if not (isinstance(argument, list) and len(argument) == 3):
            return [UNKNOWN]
        table = _mapping(self.mappings.get(self._scalar(argument[0], depth) or ""))
        top = self._scalar(argument[1], depth)
        second = self._scalar(argument[2], depth)
        # An unknown key (often !Ref AWS::Region) may pick any entry: check them all.
        rows = [table.get(top)] if top is not None else list(table.values())
        found: list[Any] = []
        for row in rows:
            entries = _mapping(row)
            if not entries:
                return [UNKNOWN]
            cells = [entries.get(second)] if second is not None else list(entries.values())
            for cell in cells:
                found.extend([UNKNOWN] if cell is None else self._resolve(cell, depth + 1))
        return found or [UNKNOWN]

    def references(self, resource: Resource, attribute: str) -> set[str]:
        """Logical ids a property refers to with ``Ref`` or ``Fn::GetAtt``."""
        found: set[str] = set()
        _collect_cfn_references(_mapping(resource.body.get("Properties")).get(attribute), found, 0)
        return found

    def taggable(self, resource: Resource) -> bool:
        """Known taggable types, and any resource already carrying ``Tags``."""
        return resource.type in _TAGGABLE or "Tags" in _mapping(resource.body.get("Properties"))

    def tag_keys(self, resource: Resource) -> set[str] | None:
        """Keys of ``Tags`` (a list of ``Key``/``Value`` or a map) in every ``Fn::If`` branch."""
        common: set[str] | None = None
        for tags in self.lookup(resource.body, ("Properties", "Tags")):
            keys = self._keys_of(tags)
            if keys is None:
                return None
            common = keys if common is None else common & keys
        return common

    def _keys_of(self, tags: Any) -> set[str] | None:
        if tags is MISSING:
            return set()
        if isinstance(tags, Mapping):
            return {str(key) for key in tags}
        if not isinstance(tags, list):
            return None
        keys: set[str] = set()
        for item in tags:
            names = self.lookup(item, ("Key",))
            if not all(isinstance(name, str) for name in names):
                return None  # a key computed at deploy time might be any tag
            keys.update(names)
        return keys

    def cloud_names(self, resource: Resource) -> list[str]:
        """The literal (or parameter default) name property, when the template sets one."""
        path = _NAME_PROPERTY.get(resource.type)
        return self.texts(resource.body, path) if path else []


def _collect_cfn_references(value: Any, found: set[str], depth: int) -> None:
    if depth > _MAX_RESOLVE_DEPTH:
        return
    if isinstance(value, Mapping):
        target = value.get("Ref")
        if len(value) == 1 and isinstance(target, str):
            found.add(target)
        attribute = value.get("Fn::GetAtt")
        if len(value) == 1 and isinstance(attribute, list) and attribute:
            found.add(str(attribute[0]))
        for item in value.values():
            _collect_cfn_references(item, found, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _collect_cfn_references(item, found, depth + 1)


# ---------------------------------------------------------------------- Terraform

#: Terraform template syntax: an interpolation or a directive (``$${`` is a literal).
INTERPOLATION = re.compile(r"(?<!\$)\$\{|(?<!%)%\{")
_WHOLE_EXPRESSION = re.compile(r"\$\{([^{}]*)\}")
_TEMPLATE_PART = re.compile(r"(?<!\$)\$\{([^{}]*)\}")
_NAMED_VALUE = re.compile(r"(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)")
_RESOURCE_ATTRIBUTE = re.compile(
    r"([A-Za-z][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_]\w*)"
)
_EXPRESSION = re.compile(r"\$\{([^}]*)\}")
_ADDRESS = re.compile(r"(?<![\w.])(?:data\.)?[A-Za-z][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_-]*")
_INDEX = re.compile(r"\[[^\]]*\]")


def base_address(address: str) -> str:
    """A Terraform address without instance keys: ``aws_s3_bucket.b[0]`` -> ``aws_s3_bucket.b``."""
    return _INDEX.sub("", address)


class TerraformBase(Inventory):
    """What Terraform configurations and plans share: providers, tags, names, regions."""

    providers: Mapping[str, Mapping[str, Any]]

    def provider_config(self, resource: Resource) -> Mapping[str, Any]:
        """The configuration of the provider ``resource`` uses (aliases included)."""
        chosen = resource.body.get("provider")
        if isinstance(chosen, str) and _WHOLE_EXPRESSION.fullmatch(chosen):
            chosen = chosen[2:-1].strip()  # HCL writes provider = aws.west, JSON "aws.west"
        key = chosen if isinstance(chosen, str) else resource.type.split("_", 1)[0]
        return self.providers.get(key, {})

    def taggable(self, resource: Resource) -> bool:
        """Known taggable types, and any resource with ``tags`` or ``labels``."""
        body = resource.body
        return resource.type in _TAGGABLE or any(key in body for key in ("tags", "labels"))

    def tag_key_folds_case(self, resource: Resource) -> bool:
        """GCP label keys are lowercase."""
        return resource.type.startswith("google")

    def tag_keys(self, resource: Resource) -> set[str] | None:
        """Keys of ``tags``/``labels`` plus the provider's default tags or labels."""
        provider = self.provider_config(resource)
        if resource.type.startswith("google"):
            attribute, defaults = "labels", self.lookup(provider, ("default_labels",))
        else:
            attribute, defaults = "tags", self.lookup(provider, ("default_tags", "tags"))
        keys = self._map_keys(self.lookup(resource.body, (attribute,)))
        default_keys = self._map_keys(defaults)
        if keys is None or default_keys is None:
            return None
        return keys | default_keys

    @staticmethod
    def _map_keys(values: list[Any]) -> set[str] | None:
        keys: set[str] | None = None
        for value in values:
            if value is UNKNOWN:
                return None
            found = {str(key) for key in value} if isinstance(value, Mapping) else set()
            keys = found if keys is None else keys & found
        return keys or set()

    def cloud_names(self, resource: Resource) -> list[str]:
        """``bucket`` of S3 buckets, ``name`` of Azure storage accounts and GCP buckets."""
        path = _NAME_PROPERTY.get(resource.type)
        return self.texts(resource.body, path) if path else []

    def regions(self, resource: Resource) -> list[str]:
        """``location`` or ``region`` of the resource, else its provider's ``region``."""
        for attribute in ("location", "region"):
            found = self.texts(resource.body, (attribute,))
            if found:
                return found
        return self.texts(self.provider_config(resource), ("region",))


class TerraformModule:
    """What the files of one Terraform module (a folder) declare together.

    Terraform reads every ``.tf`` and ``.tf.json`` file of a folder as one configuration:
    a bucket in ``main.tf`` may be configured by an ``aws_s3_bucket_versioning`` in
    ``storage.tf``, take a variable's default from ``variables.tf`` and its provider's
    default tags from ``providers.tf``. A module holds the resources, data sources,
    variables, locals and providers of all its files; each resource keeps the file it
    comes from (:attr:`Resource.origin`).

    :param files: ``(path, data)`` of each file: the absolute path (``""`` for a document
        read alone) and its parsed Terraform JSON structure.
    """

    def __init__(self, files: Sequence[tuple[str, Any]]) -> None:
        self.resources: list[Resource] = []
        self.data_sources: dict[str, Resource] = {}
        self.variables: dict[str, Mapping[str, Any]] = {}
        self.locals: dict[str, Any] = {}
        self.providers: dict[str, Mapping[str, Any]] = {}
        # The resources of each file's data, by its id: the inventory of a file of the
        # module takes its own from here instead of reading them again.
        self._blocks: dict[int, tuple[list[Resource], list[Resource]]] = {}
        for path, data in files:
            resources, sources = _terraform_blocks(_mapping(data), path)
            self._blocks[id(data)] = (resources, sources)
            self.add(data, resources, sources)
        #: Caches of the rules over the whole module (companion indexes...).
        self.memo: dict[Any, Any] = {}

    def blocks_of(self, data: Any) -> tuple[list[Resource], list[Resource]] | None:
        """The resources and data sources read from ``data``, if it is one of the files."""
        return self._blocks.get(id(data))

    def add(self, data: Any, resources: Sequence[Resource], sources: Sequence[Resource]) -> None:
        """Add what one file declares."""
        data = _mapping(data)
        self.resources.extend(resources)
        self.data_sources.update((source.address, source) for source in sources)
        self.variables.update(
            (name, body) for name, body, _ in _labelled(data.get("variable"), "/variable")
        )
        for block, _ in _objects(data.get("locals"), ""):
            self.locals.update(block)
        self.providers.update(_terraform_providers(data.get("provider")))

    @functools.cached_property
    def by_address(self) -> dict[str, Resource]:
        """The resources by address (the first file declaring one, in path order, wins)."""
        found: dict[str, Resource] = {}
        for resource in self.resources:
            found.setdefault(resource.address, resource)
        return found

    def of_type(self, *types: str) -> list[Resource]:
        """The module's resources of the given types (a shared list: do not change it)."""
        return resources_of_type(self.resources, types, self.memo)


def _terraform_blocks(
    data: Mapping[str, Any], origin: str
) -> tuple[list[Resource], list[Resource]]:
    """The resources and data sources a Terraform file declares."""
    resources = [
        Resource(kind, f"{kind}.{name}", body, pointer, pointer, origin)
        for kind, name, body, pointer in _blocks(data.get("resource"), "/resource")
    ]
    sources = [
        Resource(kind, f"data.{kind}.{name}", body, pointer, pointer, origin)
        for kind, name, body, pointer in _blocks(data.get("data"), "/data")
    ]
    return resources, sources


class TerraformInventory(TerraformBase):
    """A Terraform file: ``resource``, ``data``, ``variable``, ``locals``, ``provider``.

    Read from ``.tf.json`` as written, and from ``.tf`` through :mod:`.hcl`, which gives
    the same structure. The file's own resources are checked; values resolve and split
    resources link through its module (:class:`TerraformModule`): the other files of its
    folder when it is given one, else the file alone.
    """

    format = "terraform"

    def __init__(
        self,
        document: InfrastructureDocument,
        resources: list[Resource],
        data_sources: list[Resource],
        module: TerraformModule | None = None,
    ) -> None:
        super().__init__(document, resources)
        if module is None:
            module = TerraformModule([])
            module.add(document.data, resources, data_sources)
            self.origin = ""
        else:
            self.origin = os.path.abspath(document.path)
        self.module = module
        self.data_sources = module.data_sources
        self.variables = module.variables
        self.locals = module.locals
        self.providers = module.providers

    @property
    def by_address(self) -> dict[str, Resource]:
        """Resources of the module by address."""
        return self.module.by_address

    @classmethod
    def from_document(
        cls, document: InfrastructureDocument, module: TerraformModule | None = None
    ) -> TerraformInventory:
        """Read the resources and data sources of ``document`` (in ``module``, if given)."""
        known = None if module is None else module.blocks_of(document.data)
        resources, sources = known or _terraform_blocks(_mapping(document.data), "")
        return cls(document, resources, sources, module)

    def related(self, *types: str) -> list[Resource]:
        """Resources of the given types in every file of the module."""
        return self.module.of_type(*types)

    @property
    def shared_memo(self) -> dict[Any, Any]:
        """The module's caches, shared by the inventories of its files."""
        return self.module.memo

    def is_local(self, resource: Resource) -> bool:
        """Whether ``resource`` comes from this file (not another file of the module)."""
        return resource.origin in ("", self.origin)

    def resolve(self, value: Any) -> list[Any]:
        """Expressions, as far as the configuration says.

        ``var.x`` gives the variable's default, ``local.x`` the local's value,
        ``TYPE.NAME.attribute`` the attribute as a resource of this file sets it (an S3
        bucket's ``id`` is its ``bucket``), a template its text when every interpolation
        in it is known. Anything else (functions, conditionals, data sources, values
        computed at apply time) is unknown.
        """
        return self._resolve(value, 0)

    def _resolve(self, value: Any, depth: int) -> list[Any]:
        if value is None:
            return [MISSING]
        if not (isinstance(value, str) and INTERPOLATION.search(value)):
            return [value]
        if depth > _MAX_RESOLVE_DEPTH:
            return [UNKNOWN]
        whole = _WHOLE_EXPRESSION.fullmatch(value.strip())
        if whole:
            return self._expression(whole.group(1).strip(), depth)

        def replace(match: re.Match[str]) -> str:
            values = self._expression(match.group(1).strip(), depth)
            if len(values) == 1 and isinstance(values[0], bool):
                return "true" if values[0] else "false"
            if len(values) != 1 or not isinstance(values[0], (str, int, float)):
                raise LookupError(match.group(1))
            return str(values[0])

        try:
            text = _TEMPLATE_PART.sub(replace, value)
        except LookupError:
            return [UNKNOWN]
        # Left: directives (%{...}) and interpolations with braces inside (functions).
        return [UNKNOWN] if INTERPOLATION.search(text) else [text]

    def _expression(self, expression: str, depth: int) -> list[Any]:
        named = _NAMED_VALUE.fullmatch(expression)
        if named:
            kind, name = named.groups()
            if kind == "local":
                return (
                    self._resolve(self.locals[name], depth + 1)
                    if name in self.locals
                    else [UNKNOWN]
                )
            variable = self.variables.get(name)
            if variable is None or "default" not in variable:
                return [UNKNOWN]  # set at plan time
            return self._resolve(variable["default"], depth + 1)
        attribute = _RESOURCE_ATTRIBUTE.fullmatch(expression)
        resource = self.by_address.get(attribute.group(1)) if attribute else None
        if attribute is None or resource is None:
            return [UNKNOWN]
        name = attribute.group(2)
        if resource.type == "aws_s3_bucket" and name in ("id", "bucket"):
            name = "bucket"  # a bucket's id is its name
        # An attribute the configuration leaves out is computed by the provider.
        values = self._resolve(resource.body.get(name), depth + 1)
        return [UNKNOWN if value is MISSING else value for value in values]

    def lookup(self, root: Any, path: Sequence[PathSegment]) -> list[Any]:
        """:meth:`Inventory.lookup`, in one step when ``root`` does not set the first key.

        Most lookups are of settings a resource leaves out (a file may have 90,000
        buckets, each looked up by several rules): a block resolves to itself and steps
        to :data:`MISSING` (no ``dynamic`` block in it), which resolves to itself.
        """
        if path and isinstance(root, dict):
            first = path[0]
            if isinstance(first, str) and first not in root and "dynamic" not in root:
                return [MISSING]
        return super().lookup(root, path)

    def step(self, value: Any, segment: PathSegment) -> list[Any]:
        """Blocks generated by a ``dynamic`` block are unknown, not missing."""
        if isinstance(value, dict) and isinstance(segment, str):  # most steps: a key
            found = value.get(segment, MISSING)
            if (
                found is MISSING
                and "dynamic" in value
                and any(segment in block for block, _ in _objects(value["dynamic"], ""))
            ):
                return [UNKNOWN]
            return [found]
        # isinstance, not type(): the host hands validators read-only list subclasses.
        is_list = isinstance(value, list)
        if is_list and isinstance(segment, str):
            if not value:
                return [MISSING]
            return [child for item in value for child in self.step(item, segment)]
        # Plain dicts first: the Mapping ABC check costs more than the whole step.
        if (
            (isinstance(value, dict) or (not is_list and isinstance(value, Mapping)))
            and isinstance(segment, str)
            and segment not in value
            and "dynamic" in value
            and any(segment in block for block, _ in _objects(value["dynamic"], ""))
        ):
            return [UNKNOWN]
        return super().step(value, segment)

    def references(self, resource: Resource, attribute: str) -> set[str]:
        """Addresses (``aws_s3_bucket.b``, ``data.x.y``) named in the attribute's expressions."""
        found: set[str] = set()
        for text in _strings(resource.body.get(attribute), 0):
            for expression in _EXPRESSION.findall(text):
                found.update(_ADDRESS.findall(expression))
        return found


def _blocks(section: Any, pointer: str) -> Iterator[tuple[str, str, Mapping[str, Any], str]]:
    """``(type, name, body, pointer)`` of each block of ``resource`` or ``data``."""
    for by_type, type_pointer in _objects(section, pointer):
        for kind, by_name in by_type.items():
            for named, name_pointer in _objects(by_name, f"{type_pointer}/{escape_pointer(kind)}"):
                for name, body in named.items():
                    block_pointer = f"{name_pointer}/{escape_pointer(name)}"
                    for attributes, body_pointer in _objects(body, block_pointer):
                        yield str(kind), str(name), attributes, body_pointer


def _labelled(section: Any, pointer: str) -> Iterator[tuple[str, Mapping[str, Any], str]]:
    """``(label, body, pointer)`` of each block with one label (``variable``, ``provider``)."""
    for by_label, label_pointer in _objects(section, pointer):
        for label, body in by_label.items():
            label_path = f"{label_pointer}/{escape_pointer(label)}"
            for attributes, body_pointer in _objects(body, label_path):
                yield str(label), attributes, body_pointer


def _terraform_providers(section: Any) -> dict[str, Mapping[str, Any]]:
    providers: dict[str, Mapping[str, Any]] = {}
    for name, body, _ in _labelled(section, "/provider"):
        alias = body.get("alias")
        providers[f"{name}.{alias}" if isinstance(alias, str) else name] = body
    return providers


def _strings(value: Any, depth: int) -> Iterator[str]:
    if depth > _MAX_RESOLVE_DEPTH:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1)


# ---------------------------------------------------------------------- Terraform plan


class TerraformPlanInventory(TerraformBase):
    """A plan (``terraform show -json``): ``planned_values`` read with ``configuration``.

    Values known only after apply are :data:`~.model.UNKNOWN` when the configuration sets
    them, and :data:`~.model.MISSING` when it does not (the provider computes them).
    """

    format = "terraform-plan"

    def __init__(
        self,
        document: InfrastructureDocument,
        resources: list[Resource],
        configured: Mapping[str, Mapping[str, Any]],
        providers: Mapping[str, Mapping[str, Any]],
    ) -> None:
        super().__init__(document, resources)
        self.configured = configured
        self.providers = providers

    @classmethod
    def from_document(cls, document: InfrastructureDocument) -> TerraformPlanInventory:
        """Read the planned resources of ``document``."""
        data = _mapping(document.data)
        configuration = _mapping(data.get("configuration"))
        configured = dict(_configured_resources(_mapping(configuration.get("root_module")), ""))
        unknown = _after_unknown(data.get("resource_changes"))
        root = _mapping(_mapping(data.get("planned_values")).get("root_module"))
        resources = []
        for entry, pointer in _planned_resources(root, "/planned_values/root_module"):
            address, kind = entry.get("address"), entry.get("type")
            if entry.get("mode", "managed") != "managed" or not isinstance(address, str):
                continue
            if not isinstance(kind, str):
                continue
            config = configured.get(base_address(address))
            expressions = _mapping(config.get("expressions")) if config is not None else None
            values = _overlay_unknown(
                _mapping(entry.get("values")), unknown.get(address), expressions
            )
            resources.append(Resource(kind, address, values, pointer, f"{pointer}/values"))
        providers = {
            key: _mapping(_constants(_mapping(value).get("expressions")))
            for key, value in _mapping(configuration.get("provider_config")).items()
        }
        return cls(document, resources, configured, providers)

    def provider_config(self, resource: Resource) -> Mapping[str, Any]:
        """The provider configuration the resource's configuration names."""
        config = self.configured.get(base_address(resource.address), {})
        key = config.get("provider_config_key")
        if isinstance(key, str):
            return self.providers.get(key.rsplit(":", 1)[-1], {})
        return self.providers.get(resource.type.split("_", 1)[0], {})

    def tag_keys(self, resource: Resource) -> set[str] | None:
        """``tags_all``/``effective_labels`` when planned (they include provider defaults)."""
        for attribute in ("tags_all", "effective_labels"):
            if attribute in resource.body:
                return self._map_keys(self.lookup(resource.body, (attribute,)))
        return super().tag_keys(resource)

    def references(self, resource: Resource, attribute: str) -> set[str]:
        """Addresses the configuration's expressions for the attribute refer to.

        Blocks (``logging { target_bucket = ... }``) count with every expression inside.
        """
        config = self.configured.get(base_address(resource.address))
        if config is None:
            return set()
        expression = _mapping(config.get("expressions")).get(attribute)
        prefix = _module_prefix(resource.address)
        found: set[str] = set()
        for reference in _expression_references(expression, 0):
            found.update(prefix + address for address in _ADDRESS.findall(reference))
        return found


def _expression_references(expression: Any, depth: int) -> Iterator[str]:
    """The ``references`` of a plan expression and of the expressions of its nested blocks."""
    if depth > _MAX_RESOLVE_DEPTH:
        return
    if isinstance(expression, list):
        for item in expression:
            yield from _expression_references(item, depth + 1)
    elif isinstance(expression, Mapping):
        references = expression.get("references")
        if isinstance(references, list):
            yield from (item for item in references if isinstance(item, str))
        for key, value in expression.items():
            if key not in ("references", "constant_value"):  # constants are data, not blocks
                yield from _expression_references(value, depth + 1)


def _module_prefix(address: str) -> str:
    """``module.a.module.b.`` for ``module.a.module.b.aws_s3_bucket.x`` (no instance keys)."""
    parts = base_address(address).split(".")
    prefix = []
    while len(parts) > 2 and parts[0] == "module":
        prefix.extend(parts[:2])
        parts = parts[2:]
    return "".join(part + "." for part in prefix)


def _planned_resources(
    module: Mapping[str, Any], pointer: str
) -> Iterator[tuple[Mapping[str, Any], str]]:
    yield from _objects(module.get("resources"), f"{pointer}/resources")
    for child, child_pointer in _objects(module.get("child_modules"), f"{pointer}/child_modules"):
        yield from _planned_resources(child, child_pointer)


def _configured_resources(
    module: Mapping[str, Any], prefix: str
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for entry, _ in _objects(module.get("resources"), ""):
        address = entry.get("address")
        if isinstance(address, str):
            yield prefix + address, entry
    for name, call in _mapping(module.get("module_calls")).items():
        child = _mapping(_mapping(call).get("module"))
        yield from _configured_resources(child, f"{prefix}module.{name}.")


def _after_unknown(changes: Any) -> dict[str, Any]:
    unknown: dict[str, Any] = {}
    for change, _ in _objects(changes, ""):
        address = change.get("address")
        if isinstance(address, str):
            unknown[address] = _mapping(change.get("change")).get("after_unknown")
    return unknown


def _overlay_unknown(
    values: Mapping[str, Any], unknown: Any, expressions: Mapping[str, Any] | None
) -> Mapping[str, Any]:
    """``values`` with the attributes known only after apply marked :data:`UNKNOWN`.

    Only attributes the configuration sets: the others are computed by the provider and
    count as not set (``expressions`` is ``None`` when the configuration is not known).
    """
    if not isinstance(unknown, Mapping):
        return values
    result = dict(values)
    for key, marker in unknown.items():
        if expressions is not None and key not in expressions:
            continue
        result[key] = _overlay_value(result.get(key), marker)
    return result


def _overlay_value(value: Any, marker: Any) -> Any:
    if marker is True:
        return UNKNOWN
    if isinstance(marker, Mapping) and isinstance(value, Mapping):
        return {**value, **{k: _overlay_value(value.get(k), m) for k, m in marker.items()}}
    if isinstance(marker, list) and isinstance(value, list):
        overlaid = [_overlay_value(v, m) for v, m in zip(value, marker, strict=False)]
        return overlaid + value[len(marker) :]
    return value


def _constants(expressions: Any) -> Any:
    """Plan configuration expressions as values: constants kept, references unknown."""
    if isinstance(expressions, Mapping):
        if "constant_value" in expressions:
            return expressions["constant_value"]
        if "references" in expressions:
            return UNKNOWN
        return {key: _constants(value) for key, value in expressions.items()}
    if isinstance(expressions, list):
        return [_constants(item) for item in expressions]
    return expressions


# ---------------------------------------------------------------------- ARM

_ARM_PARAMETER = re.compile(r"parameters\(\s*'([^']*)'\s*\)")
_ARM_VARIABLE = re.compile(r"variables\(\s*'([^']*)'\s*\)")


class ArmInventory(Inventory):
    """Resources of an Azure Resource Manager template, nested child resources included."""

    format = "arm"

    def __init__(self, document: InfrastructureDocument, resources: list[Resource]) -> None:
        super().__init__(document, resources)
        data = _mapping(document.data)
        self.parameters = _mapping(data.get("parameters"))
        self.variables = _mapping(data.get("variables"))

    @classmethod
    def from_document(cls, document: InfrastructureDocument) -> ArmInventory:
        """Read the resources of ``document`` (a list, or symbolic names in language 2.0)."""
        inventory = cls(document, [])
        section = _mapping(document.data).get("resources")
        inventory.resources = list(_arm_resources(section, "/resources", "", inventory))
        return inventory

    def type_matches(self, resource: Resource, *types: str) -> bool:
        """ARM resource types compare without case."""
        return resource.type.lower() in {kind.lower() for kind in types}

    def resolve(self, value: Any) -> list[Any]:
        """``[parameters('x')]`` to its default, ``[variables('x')]`` to its value."""
        return self._resolve(value, 0)

    def _resolve(self, value: Any, depth: int) -> list[Any]:
        if value is None:
            return [MISSING]
        if not (isinstance(value, str) and value.startswith("[") and value.endswith("]")):
            return [value]
        if value.startswith("[["):
            return [value[1:]]  # an escaped literal bracket
        if depth > _MAX_RESOLVE_DEPTH:
            return [UNKNOWN]
        expression = value[1:-1].strip()
        match = _ARM_PARAMETER.fullmatch(expression)
        if match:
            parameter = _mapping(self.parameters.get(match.group(1)))
            if "defaultValue" in parameter:
                return self._resolve(parameter["defaultValue"], depth + 1)
            allowed = parameter.get("allowedValues")
            return list(allowed) if isinstance(allowed, list) and allowed else [UNKNOWN]
        match = _ARM_VARIABLE.fullmatch(expression)
        if match and match.group(1) in self.variables:
            return self._resolve(self.variables[match.group(1)], depth + 1)
        return [UNKNOWN]

    def taggable(self, resource: Resource) -> bool:
        """Storage accounts, and any resource already carrying ``tags``."""
        return resource.type.lower() in _TAGGABLE or "tags" in resource.body

    def tag_keys(self, resource: Resource) -> set[str] | None:
        """Keys of ``tags`` (in every possible value of it)."""
        common: set[str] | None = None
        for tags in self.lookup(resource.body, ("tags",)):
            if tags is UNKNOWN:
                return None
            keys = {str(key) for key in tags} if isinstance(tags, Mapping) else set()
            common = keys if common is None else common & keys
        return common or set()

    def cloud_names(self, resource: Resource) -> list[str]:
        """The name of storage accounts, when literal or a parameter default."""
        path = _NAME_PROPERTY.get(resource.type.lower())
        return self.texts(resource.body, path) if path else []

    def regions(self, resource: Resource) -> list[str]:
        """``location``, when literal or a parameter default."""
        return self.texts(resource.body, ("location",))


def _arm_resources(
    section: Any, pointer: str, parent_type: str, inventory: ArmInventory
) -> Iterator[Resource]:
    entries: list[tuple[str, Any, str]] = []
    if isinstance(section, list):
        entries = [(f"{pointer}/{i}", item, "") for i, item in enumerate(section)]
    elif isinstance(section, Mapping):  # languageVersion 2.0: symbolic name -> resource
        entries = [(f"{pointer}/{escape_pointer(k)}", v, str(k)) for k, v in section.items()]
    for entry_pointer, body, symbol in entries:
        if not isinstance(body, Mapping) or not isinstance(body.get("type"), str):
            continue
        kind = body["type"]
        if parent_type and "." not in kind.split("/", 1)[0]:
            kind = f"{parent_type}/{kind}"  # nested child types are relative to the parent
        # Findings name the resource as deployed when the name is known, else as written.
        names = inventory.texts(body, ("name",))
        written = body.get("name")
        address = names[0] if len(names) == 1 else written if isinstance(written, str) else None
        yield Resource(kind, address or symbol or entry_pointer, body, entry_pointer, entry_pointer)
        children = body.get("resources")
        yield from _arm_resources(children, f"{entry_pointer}/resources", kind, inventory)
