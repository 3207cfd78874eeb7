/// An empty actor whose default serial executor a ``WorkflowEngine`` without a custom
/// ``EngineExecutor`` uses as its own (actors may share another actor's executor), since an
/// actor that customizes `unownedExecutor` cannot fall back to its built-in one.
actor DefaultExecutorDonor {}
