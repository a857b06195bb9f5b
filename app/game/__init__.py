"""The pure game core: rules about seats, roles, boards and rounds, with no I/O."""
