"""Function views, one module per area: reading, editing, ..."""
