// Every workflow type the workers serve. One workflow per file; this index is the bundle entry.
export * from './stack-self-check';
