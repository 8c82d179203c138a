# One image for the API and every worker; the command chooses the process.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN DATABASE_URL=postgresql://build@localhost/build npx prisma generate
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "api/server.ts"]
