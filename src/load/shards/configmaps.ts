import type { CoreV1Api } from '@kubernetes/client-node';

function status(error: unknown): number | undefined {
  return (error as { code?: number }).code;
}

/** Writes a ConfigMap whole, creating it the first time. */
export async function writeConfigMap(
  core: CoreV1Api,
  namespace: string,
  name: string,
  labels: Record<string, string>,
  data: Record<string, string>,
): Promise<void> {
  const body = { metadata: { name, namespace, labels }, data };
  try {
    await core.replaceNamespacedConfigMap({ name, namespace, body });
  } catch (error) {
    if (status(error) !== 404) throw error;
    await core.createNamespacedConfigMap({ namespace, body });
  }
}

/** One key of a ConfigMap parsed as JSON; undefined while it does not exist yet. */
export async function readConfigMapJson<T>(core: CoreV1Api, namespace: string, name: string, key: string): Promise<T | undefined> {
  try {
    const text = (await core.readNamespacedConfigMap({ name, namespace })).data?.[key];
    return text === undefined ? undefined : (JSON.parse(text) as T);
  } catch (error) {
    if (status(error) === 404) return undefined;
    throw error;
  }
}
