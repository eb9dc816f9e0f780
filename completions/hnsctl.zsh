#compdef hnsctl

_hnsctl_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _HNSCTL_COMPLETE=complete_zsh hnsctl)
}

compdef _hnsctl_completion hnsctl
