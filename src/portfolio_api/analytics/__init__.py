"""Privacy-friendly analytics: who counts, and how a visitor is known without personal data."""
