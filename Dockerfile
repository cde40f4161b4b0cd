# One image for the three services; the command chooses which one runs (docker-compose.yml).
FROM node:24-bookworm-slim
WORKDIR /app
# Every interface: other containers (the proxy, the app) reach the services over the container network,
# whatever NODE_ENV a compose file sets.
ENV NODE_ENV=production PUPPETEER_SKIP_DOWNLOAD=1 DATA_DIR=/data HEALTH_PORT=3000 LISTEN_HOST=0.0.0.0
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY broker ./broker
COPY mock-idp ./mock-idp
COPY cqrs-app ./cqrs-app
COPY shared ./shared
COPY seeds ./seeds
# A named volume mounted here starts with this directory's owner: the non-root `node` user can write.
RUN mkdir -p /data && chown node:node /data
USER node
# Liveness: every service answers GET /healthz on its port (set HEALTH_PORT per service).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HEALTH_PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "broker/main.ts"]
