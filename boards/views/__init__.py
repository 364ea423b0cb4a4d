"""Message views: what the board, card, reminder slot, policy and station screen show, as data."""
