# One image for the three services; the command chooses which one runs.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PUPPETEER_SKIP_DOWNLOAD=1
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY broker ./broker
COPY mock-idp ./mock-idp
COPY cqrs-app ./cqrs-app
COPY shared ./shared
COPY seeds ./seeds
USER node
CMD ["node", "broker/main.ts"]
