# The image of cpchaos that sharded agent fleets run (agents[].placement.kubernetes.image):
# its entrypoint is `cpchaos agent`, one shard of the fleet.
# cpchaos builds an equivalent image by itself, offline, and loads it into kind nodes;
# build this one for a load cluster that pulls from your registry:
#   docker build -t registry.example.com/cpchaos-agent:0.1.0 .
#   docker push registry.example.com/cpchaos-agent:0.1.0
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.browser.json ./
COPY src src
COPY bin bin
RUN npm ci --ignore-scripts && npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/bin bin
COPY --from=build /app/dist/src dist/src
COPY --from=build /app/node_modules node_modules
USER node
ENTRYPOINT ["node", "/app/bin/cpchaos.js", "agent"]
