"""The ``policy`` plugin: organisational policy checks for AWS, Azure and GCP documents.

Reading: :mod:`.parsers` recognises CloudFormation (YAML through :mod:`.cfn_yaml`, JSON),
Terraform (HCL through :mod:`.hcl`, JSON), Terraform plan JSON and ARM templates, with line
numbers from :mod:`.json_lines`. Checking: :mod:`.formats` turns each format into an inventory of
resources (:mod:`.model`), the rule modules (``rules_*``) check them, :mod:`.rules` is the
registry and the engine, :mod:`.config` the configuration, and :mod:`.plugin` the hook
implementations.
"""
