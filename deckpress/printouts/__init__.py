"""Model -> HTML -> PDF: cheat sheets, handouts, type-size fitting, math and short answers."""
