import { Type } from '@sinclair/typebox';

export const ComponentParam = (description: string) =>
  Type.Union([Type.Literal('etcd'), Type.Literal('apiserver'), Type.Literal('controller-manager'), Type.Literal('scheduler')], { description });
