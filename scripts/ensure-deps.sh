#!/usr/bin/env bash
# Installs what a fresh clone is missing: node_modules (exactly as locked) and the generated
# Prisma client. Go-built servers (Temporal, MinIO, stripe-mock) are built on first use by
# scripts/infra and cached outside the repo.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "Node.js 20 or newer is required." >&2; exit 1; }

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  echo "Installing dependencies (locked versions)..."
  # `npm install` rather than `npm ci`: npm 11 here writes lock files without the other
  # platforms' optional packages (@swc/core-darwin-*, ...), which `npm ci` then rejects as out of
  # sync. With the lock file present, `npm install` installs exactly the locked versions.
  npm install --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json | cut -d' ' -f1 > node_modules/.lock-hash
fi

# prisma generate needs a DATABASE_URL even though it does not connect (see NOTES.md).
if [ ! -f generated/prisma/client.ts ] || [ prisma/schema.prisma -nt generated/prisma/client.ts ]; then
  DATABASE_URL="${DATABASE_URL:-postgresql://unused@127.0.0.1:5432/unused}" npx prisma generate >/dev/null
fi

# Headless Chromium for the browser test (test/e2e, playwright-core drives Debian's package).
# Not fatal: everything but that test works without it.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Chromium for the browser test (apt-get install chromium)..."
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
      echo "Warning: could not install chromium; the browser test (test/e2e) will fail." >&2
    fi
  else
    echo "Note: /usr/bin/chromium is missing; the browser test (test/e2e) needs it: sudo apt-get install chromium" >&2
  fi
fi

# Colour emoji for sticker captions (Noto Color Emoji, SIL OFL; lib/stickers/emoji.ts). Not
# fatal: without it captions with emoji are refused at intake instead of drawn.
if [ ! -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] && [ -z "${STICKER_EMOJI_FONT_FILE:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing the colour emoji font for stickers (apt-get install fonts-noto-color-emoji)..."
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji >/dev/null; }; then
      echo "Warning: could not install fonts-noto-color-emoji; sticker captions will refuse emoji." >&2
    fi
  else
    echo "Note: fonts-noto-color-emoji is missing; sticker captions refuse emoji without it: sudo apt-get install fonts-noto-color-emoji" >&2
  fi
fi
