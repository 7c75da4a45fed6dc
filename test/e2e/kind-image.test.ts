import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { etcdVersionOfTag, parseImageRef, sandboxImage } from '../../src/binaries/kind-image/component-images.js';
import { writeImageArchive } from '../../src/binaries/kind-image/image-archive.js';
import { filesIn } from '../../src/binaries/kind-image/rootfs-subset.js';
import type { Step } from '../../src/binaries/kind-image/step.js';
import { nodeNetworkScript } from '../../src/binaries/kind-image/node-network.js';

/** The pure parts of the offline node-image builder; the whole image is exercised by kind-e2e. */

function quietStep(): Step {
  return { progress: () => undefined, log: { write: () => true } as unknown as Step['log'] };
}

test('image refs as kubeadm prints them: the name is the last path element, the tag after the last colon', (t) => {
  t.like(parseImageRef('registry.k8s.io/coredns/coredns:v1.12.0'), { name: 'coredns', tag: 'v1.12.0' });
  t.like(parseImageRef('registry.k8s.io/kube-apiserver:v1.33.13'), { name: 'kube-apiserver', tag: 'v1.33.13' });
  t.like(parseImageRef('localhost:5000/etcd:3.5.24-0'), { name: 'etcd', tag: '3.5.24-0' });
});

test("etcd's image tag names the release to build; the sandbox image comes from containerd's config", (t) => {
  t.is(etcdVersionOfTag('3.5.24-0'), 'v3.5.24');
  t.is(etcdVersionOfTag('3.6.4-0'), 'v3.6.4');
  t.is(sandboxImage('[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "registry.k8s.io/pause:3.10"\n'), 'registry.k8s.io/pause:3.10');
  t.throws(() => sandboxImage('version = 2\n'), { message: /no sandbox_image/ });
});

test('an image archive holds one reproducible layer, its config and the tag; the same input gives the same bytes', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-archive-'));
  const root = path.join(dir, 'root');
  await fs.mkdir(path.join(root, 'usr', 'local', 'bin'), { recursive: true });
  await fs.writeFile(path.join(root, 'usr', 'local', 'bin', 'tool'), '#!/bin/sh\n', { mode: 0o755 });
  const spec = { ref: 'registry.k8s.io/tool:v1', root, entrypoint: ['/usr/local/bin/tool'] };
  await writeImageArchive(quietStep(), spec, path.join(dir, 'a.tar'));
  await fs.utimes(path.join(root, 'usr', 'local', 'bin', 'tool'), new Date(), new Date());
  await writeImageArchive(quietStep(), spec, path.join(dir, 'b.tar'));
  t.deepEqual(await fs.readFile(path.join(dir, 'a.tar')), await fs.readFile(path.join(dir, 'b.tar')), 'mtimes do not leak into the image');
  const listing = String((await execa('tar', ['-tf', path.join(dir, 'a.tar')])).stdout).split('\n');
  t.true(listing.includes('manifest.json') && listing.includes('layer.tar'));
  await execa('tar', ['-xf', path.join(dir, 'a.tar'), '-C', dir, 'manifest.json']);
  const [manifest] = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as { RepoTags: string[]; Config: string }[];
  t.deepEqual(manifest!.RepoTags, ['registry.k8s.io/tool:v1']);
  await execa('tar', ['-xf', path.join(dir, 'a.tar'), '-C', dir, manifest!.Config]);
  const config = JSON.parse(await fs.readFile(path.join(dir, manifest!.Config), 'utf8')) as {
    os: string;
    config: { Entrypoint: string[] };
    rootfs: { diff_ids: string[] };
  };
  t.is(config.os, 'linux');
  t.deepEqual(config.config.Entrypoint, ['/usr/local/bin/tool']);
  t.is(config.rootfs.diff_ids.length, 1);
  await execa('tar', ['-xf', path.join(dir, 'a.tar'), '-C', dir, 'layer.tar']);
  const layer = String((await execa('tar', ['-tvf', path.join(dir, 'layer.tar')], { env: { TZ: 'UTC' } })).stdout);
  t.regex(layer, /rwxr-xr-x 0\/0 .* 1970-01-01 00:00 \.\/usr\/local\/bin\/tool/);
});

test('files of a folder are found through the symlinks of a merged-/usr root', async (t) => {
  const rootfs = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-rootfs-'));
  await fs.mkdir(path.join(rootfs, 'usr', 'lib', 'xtables'), { recursive: true });
  await fs.writeFile(path.join(rootfs, 'usr', 'lib', 'xtables', 'libxt_tcp.so'), '');
  await fs.symlink('usr/lib', path.join(rootfs, 'lib'));
  t.deepEqual(await filesIn(rootfs, '/lib/xtables'), ['/lib/xtables/libxt_tcp.so']);
});

test('the node network script is valid bash and writes a CNI config only for its own node', async (t) => {
  const script = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-nn-')), 'nn.sh');
  await fs.writeFile(script, nodeNetworkScript);
  t.is((await execa('bash', ['-n', script], { reject: false })).exitCode, 0);
  t.regex(nodeNetworkScript, /"type":"ptp".*"type":"host-local".*"type":"portmap"/s);
  t.regex(nodeNetworkScript, /ip route replace "\$cidr" via "\$address"/);
});
