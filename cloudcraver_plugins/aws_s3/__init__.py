"""The ``aws-s3`` plugin: renders a secure-by-default Amazon S3 bucket as CloudFormation.

Modules: :mod:`.params` (the parameter and configuration models), :mod:`.render` (the
template as plain data), :mod:`.intrinsics` (CloudFormation functions as values),
:mod:`.cfn_yaml` (the YAML and JSON writers) and :mod:`.plugin` (the hook implementations,
the object registered under the ``cloudcraver`` entry point).
"""
