"""The station screen and the Mini App: over HTTP and in a real headless Chromium."""
