// The service definition (a named compose document): schema, normalized types,
// parsers shared with the Docker planner, and compose YAML in/out. Pure, so the
// dashboard can import it for validate-as-you-type.
export {
  DefinitionError,
  OBJECT_NAME_RE,
  PROJECT_NAME_RE,
  dependencyOrder,
  findDependencyCycles,
  parseDuration,
  parsePort,
  parseVolume,
  splitCommand,
  type DependencyCycle,
  type PortSpec,
  type Protocol,
  type VolumeSpec,
} from './definition-parse.js';
export { findCrossServiceProblems, type DefinitionProblem } from './definition-checks.js';
export {
  zContainerDefinition,
  zServiceDefinition,
  type ContainerDefinition,
  type HealthcheckDefinition,
  type ServiceDefinition,
  type ServiceDefinitionInput,
} from './definition-schema.js';
export {
  definitionToYaml,
  parseComposeYaml,
  type DefinitionIssue,
  type ParseComposeResult,
} from './definition-yaml.js';
