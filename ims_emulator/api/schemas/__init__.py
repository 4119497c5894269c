"""marshmallow schemas, one module per service: request bodies in, nothing stored on failure."""
