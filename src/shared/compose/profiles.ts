// Profiles as compose-go applies them (Project.WithProfiles): a service
// without profiles always runs; one with profiles runs when one of them is
// enabled, or when "*" is.
export function isServiceEnabled(serviceProfiles: readonly string[] | undefined, enabled: readonly string[]): boolean {
  if (!serviceProfiles || serviceProfiles.length === 0) return true;
  return enabled.includes('*') || serviceProfiles.some((p) => enabled.includes(p));
}

/** The issue for an enabled service that needs a disabled one (compose-go: "depends on undefined service"). */
export function disabledDependencyMessage(service: string, dependency: string, profiles: readonly string[]): string {
  const which = profiles.length === 1 ? `its profile "${profiles[0]}"` : `one of its profiles (${profiles.map((p) => `"${p}"`).join(', ')})`;
  return `service "${service}" depends on service "${dependency}", which is not enabled: enable ${which} or set required: false`;
}
