"""`vmlint server`: a Language Server over stdio (pygls), imported only by that command.

`positions` converts between vmlint's character offsets and LSP positions, `linting` lints an editor's unsaved
text with the configuration that applies to its file (no pygls there), `protocol` speaks LSP.
"""
