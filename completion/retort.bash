# bash completion for retort(1).
# Installed as share/bash-completion/completions/retort; or source it from ~/.bashrc.
#
# Commands and their options are read from `retort --help` / `retort COMMAND --help`
# (cached per shell), so they follow the binary. Target arguments (upgrade,
# downgrade, stamp, show, merge, revision --head/--depends-on, history -r)
# complete to head, heads, base, the revision ids and the branch labels
# (label, label@head) of the project, read with `retort history --format json`
# and honouring a -c/--config given earlier on the line. Self-contained: it
# needs no bash-completion helpers.

declare -gA _retort_help_cache 2>/dev/null || true

# The long and short options listed by `retort [COMMAND] --help`.
_retort_options() {
  local key="${_retort_cmd[0]} ${1:-}"
  if [[ -z ${_retort_help_cache[$key]+set} ]]; then
    _retort_help_cache[$key]=$("${_retort_cmd[@]}" ${1:+"$1"} --help 2>/dev/null | awk '
      /^[A-Za-z]+:$/ { section = $1; next }
      section == "Options:" && $1 ~ /^-/ { n = split($1, names, ","); for (i = 1; i <= n; i++) print names[i] }')
  fi
  printf '%s\n' "${_retort_help_cache[$key]}"
}

# The commands listed by `retort --help`.
_retort_commands() {
  local key="${_retort_cmd[0]} (commands)"
  if [[ -z ${_retort_help_cache[$key]+set} ]]; then
    _retort_help_cache[$key]=$("${_retort_cmd[@]}" --help 2>/dev/null | awk '
      /^[A-Za-z]+:$/ { section = $1; next }
      section == "Subcommands:" && NF { print $1 }')
  fi
  printf '%s\n' "${_retort_help_cache[$key]}"
}

# head, heads, base, every revision id, every branch label (and label@head).
_retort_targets() {
  printf '%s\n' head heads base
  "${_retort_cmd[@]}" "${_retort_config[@]}" history --format json -q 2>/dev/null | awk '
    /^      "revision": "/ { v = $2; gsub(/[",]/, "", v); print v }
    /^      "branch_labels": \[$/ { labels = 1; next }
    labels && /^      \]/ { labels = 0; next }
    labels { v = $1; gsub(/[",]/, "", v); if (!(v in seen)) { seen[v] = 1; print v; print v "@head" } }'
}

_retort() {
  COMPREPLY=()
  # Words of the line up to the cursor, split on blanks only (so "a:b" and
  # "label@head" stay one word); quoting is not interpreted.
  local line=${COMP_LINE:0:COMP_POINT}
  local -a words
  read -r -a words <<<"$line"
  local cur=""
  if [[ $line != *[[:space:]] && ${#words[@]} -gt 0 ]]; then
    cur=${words[-1]}
    unset 'words[-1]'
  fi
  local prev=""
  [[ ${#words[@]} -gt 1 ]] && prev=${words[-1]}

  _retort_cmd=("${words[0]:-retort}")
  [[ ${_retort_cmd[0]} == "~/"* ]] && _retort_cmd=("$HOME/${_retort_cmd[0]#\~/}")
  _retort_config=()
  local command="" i w
  for ((i = 1; i < ${#words[@]}; i++)); do
    w=${words[i]}
    case $w in
      -c | --config)
        ((i + 1 < ${#words[@]})) && _retort_config=(--config "${words[i + 1]}")
        ((i++)) ;;
      --config=*) _retort_config=("$w") ;;
      --url | --format) ((i++)) ;;
      -*) ;;
      *) [[ -z $command ]] && command=$w ;;
    esac
  done

  local candidates="" targets=0
  case $prev in
    -c | --config) candidates=$(compgen -f -- "$cur"); _retort_reply "$cur" "$candidates"; return ;;
    --format) candidates=$'text\njson' ;;
    --url | -m | --message | --tag | --rev-id | --branch-label) return ;;
    --version-path) candidates=$(compgen -d -- "$cur"); _retort_reply "$cur" "$candidates"; return ;;
    --head | --depends-on | -r | --rev-range) targets=1 ;;
    *)
      if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then candidates=$(_retort_options); else candidates=$(_retort_commands); fi
      elif [[ $cur == -* ]]; then
        candidates=$(_retort_options "$command"; _retort_options)
      else
        case $command in
          upgrade | downgrade | stamp | show | merge) targets=1 ;;
          init) candidates=$(compgen -d -- "$cur"); _retort_reply "$cur" "$candidates"; return ;;
        esac
      fi ;;
  esac
  if ((targets)); then
    candidates=$(_retort_targets)
    # FROM:TO (history -r, --sql ranges): complete the part after the colon.
    if [[ $cur == *:* ]]; then
      local from=${cur%%:*}
      candidates=$(printf '%s\n' "$candidates" | sed "s/^/${from//\//\\/}:/")
    fi
  fi
  _retort_reply "$cur" "$candidates"
}

# COMPREPLY = the candidates starting with $1. Bash splits the word being
# completed at the characters of COMP_WORDBREAKS (':' and '@' by default in
# some setups), so the part before the last of them is removed again.
_retort_reply() {
  local cur=$1 candidate
  local -a matches=()
  while IFS= read -r candidate; do
    [[ -n $candidate && $candidate == "$cur"* ]] && matches+=("$candidate")
  done <<<"$2"
  local breaks=${COMP_WORDBREAKS:-}
  local prefix="" c
  local k
  for ((k = ${#cur} - 1; k >= 0; k--)); do
    c=${cur:k:1}
    if [[ $c != " " && $breaks == *"$c"* ]]; then prefix=${cur:0:k+1}; break; fi
  done
  if [[ -n $prefix ]]; then
    for k in "${!matches[@]}"; do matches[k]=${matches[k]#"$prefix"}; done
  fi
  COMPREPLY=("${matches[@]}")
}

complete -F _retort retort
