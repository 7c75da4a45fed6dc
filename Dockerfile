# The image of cpchaos, one for both of its uses: its entrypoint is `cpchaos`, so
#   args: [run, EXPERIMENT..., ...]  is the runner of a scheduled run (`cpchaos schedule --image`), and
#   args: [agent, --config, ...]     is one shard of a sharded agent fleet (agents[].placement.kubernetes.image).
# `cpchaos image` builds the same contents by itself, offline, and loads them into kind nodes;
# build this one for clusters that pull from your registry:
#   docker build -t registry.example.com/cpchaos:0.1.0 .
#   docker push registry.example.com/cpchaos:0.1.0
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.browser.json ./
COPY src src
COPY bin bin
RUN npm ci --ignore-scripts && npx tsc -p tsconfig.json && npx tsc -p tsconfig.browser.json && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/bin bin
COPY --from=build /app/dist/src dist/src
COPY --from=build /app/dist/browser dist/browser
COPY --from=build /app/node_modules node_modules
USER node
ENTRYPOINT ["node", "/app/bin/cpchaos.js"]
