"""The Textual app: panels that edit one immutable Config and render the engine's Report."""
