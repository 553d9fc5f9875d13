"""The pipeline: the one place that puts the stages together, with the caches and worker pools that
make a large fleet fast (see docs/architecture.md).

- ``validate.validate_tree``: load -> validate;
- ``render.render_tree``: load -> validate -> plan -> render, an in-memory output set;
- ``output.render_into`` / ``output.render_check``: a render written into OUT, or compared with it;
- ``explain.explain_tenant``, ``review.diff_tree``, ``review.codeowners_file``.

Each command imports the one module it calls, so that a command loads no more than it runs.
"""
