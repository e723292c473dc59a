"""Pure TwiML builders: data and URLs in, VoiceResponse out; no Flask, no database."""
