/**
 * The Authorization header of a kubeconfig identity, as every request of a run sends it.
 * Exec plugins and auth providers (EKS, GKE, OIDC) issue tokens that expire within the
 * hour, sooner than a long run ends; a header read once at the start turns into 401s.
 */
export interface Authorization {
  /** The header to send now (undefined for a certificate identity). Never waits: a relist storm asks thousands of times a second. */
  current(): string | undefined;
  /**
   * After the server refused `rejected` (a 401): fresh credentials, one fetch at a time.
   * True when the header now differs from `rejected`, so the request is worth sending again.
   */
  refresh(rejected: string | undefined): Promise<boolean>;
}
