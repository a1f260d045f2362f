_voicelamp__cli() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="voicelamp__cli"
                ;;
            voicelamp__cli,call)
                cmd="voicelamp__cli__subcmd__call"
                ;;
            voicelamp__cli,check)
                cmd="voicelamp__cli__subcmd__check"
                ;;
            voicelamp__cli,help)
                cmd="voicelamp__cli__subcmd__help"
                ;;
            voicelamp__cli,mailbox)
                cmd="voicelamp__cli__subcmd__mailbox"
                ;;
            voicelamp__cli,status)
                cmd="voicelamp__cli__subcmd__status"
                ;;
            voicelamp__cli,voicemail)
                cmd="voicelamp__cli__subcmd__voicemail"
                ;;
            voicelamp__cli,watch)
                cmd="voicelamp__cli__subcmd__watch"
                ;;
            voicelamp__cli__subcmd__help,call)
                cmd="voicelamp__cli__subcmd__help__subcmd__call"
                ;;
            voicelamp__cli__subcmd__help,check)
                cmd="voicelamp__cli__subcmd__help__subcmd__check"
                ;;
            voicelamp__cli__subcmd__help,help)
                cmd="voicelamp__cli__subcmd__help__subcmd__help"
                ;;
            voicelamp__cli__subcmd__help,mailbox)
                cmd="voicelamp__cli__subcmd__help__subcmd__mailbox"
                ;;
            voicelamp__cli__subcmd__help,status)
                cmd="voicelamp__cli__subcmd__help__subcmd__status"
                ;;
            voicelamp__cli__subcmd__help,voicemail)
                cmd="voicelamp__cli__subcmd__help__subcmd__voicemail"
                ;;
            voicelamp__cli__subcmd__help,watch)
                cmd="voicelamp__cli__subcmd__help__subcmd__watch"
                ;;
            voicelamp__cli__subcmd__help__subcmd__mailbox,delete)
                cmd="voicelamp__cli__subcmd__help__subcmd__mailbox__subcmd__delete"
                ;;
            voicelamp__cli__subcmd__help__subcmd__mailbox,fetch)
                cmd="voicelamp__cli__subcmd__help__subcmd__mailbox__subcmd__fetch"
                ;;
            voicelamp__cli__subcmd__help__subcmd__mailbox,list)
                cmd="voicelamp__cli__subcmd__help__subcmd__mailbox__subcmd__list"
                ;;
            voicelamp__cli__subcmd__help__subcmd__mailbox,mark-heard)
                cmd="voicelamp__cli__subcmd__help__subcmd__mailbox__subcmd__mark__subcmd__heard"
                ;;
            voicelamp__cli__subcmd__help__subcmd__mailbox,mark-new)
                cmd="voicelamp__cli__subcmd__help__subcmd__mailbox__subcmd__mark__subcmd__new"
                ;;
            voicelamp__cli__subcmd__help__subcmd__mailbox,watch)
                cmd="voicelamp__cli__subcmd__help__subcmd__mailbox__subcmd__watch"
                ;;
            voicelamp__cli__subcmd__mailbox,delete)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__delete"
                ;;
            voicelamp__cli__subcmd__mailbox,fetch)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__fetch"
                ;;
            voicelamp__cli__subcmd__mailbox,help)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__help"
                ;;
            voicelamp__cli__subcmd__mailbox,list)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__list"
                ;;
            voicelamp__cli__subcmd__mailbox,mark-heard)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__mark__subcmd__heard"
                ;;
            voicelamp__cli__subcmd__mailbox,mark-new)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__mark__subcmd__new"
                ;;
            voicelamp__cli__subcmd__mailbox,watch)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__watch"
                ;;
            voicelamp__cli__subcmd__mailbox__subcmd__help,delete)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__help__subcmd__delete"
                ;;
            voicelamp__cli__subcmd__mailbox__subcmd__help,fetch)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__help__subcmd__fetch"
                ;;
            voicelamp__cli__subcmd__mailbox__subcmd__help,help)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__help__subcmd__help"
                ;;
            voicelamp__cli__subcmd__mailbox__subcmd__help,list)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__help__subcmd__list"
                ;;
            voicelamp__cli__subcmd__mailbox__subcmd__help,mark-heard)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__help__subcmd__mark__subcmd__heard"
                ;;
            voicelamp__cli__subcmd__mailbox__subcmd__help,mark-new)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__help__subcmd__mark__subcmd__new"
                ;;
            voicelamp__cli__subcmd__mailbox__subcmd__help,watch)
                cmd="voicelamp__cli__subcmd__mailbox__subcmd__help__subcmd__watch"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        voicelamp__cli)
            opts="-h -V --config --help --version watch status check mailbox call voicemail help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__call)
            opts="-h --dtmf --dtmf-after --play --record --sound --for --json --config --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --dtmf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dtmf-after)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --play)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --record)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --for)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__check)
            opts="-h --wait --config --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --wait)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help)
            opts="watch status check mailbox call voicemail help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__call)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__check)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__mailbox)
            opts="list fetch mark-heard mark-new delete watch"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__mailbox__subcmd__delete)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__mailbox__subcmd__fetch)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__mailbox__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__mailbox__subcmd__mark__subcmd__heard)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__mailbox__subcmd__mark__subcmd__new)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__mailbox__subcmd__watch)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__status)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__voicemail)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__help__subcmd__watch)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox)
            opts="-h --config --help list fetch mark-heard mark-new delete watch help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__delete)
            opts="-h --folder --config --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --folder)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__fetch)
            opts="-h --folder --out --config --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --folder)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --out)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__help)
            opts="list fetch mark-heard mark-new delete watch help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__help__subcmd__delete)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__help__subcmd__fetch)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__help__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__help__subcmd__mark__subcmd__heard)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__help__subcmd__mark__subcmd__new)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__help__subcmd__watch)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__list)
            opts="-h --folder --json --config --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --folder)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__mark__subcmd__heard)
            opts="-h --folder --config --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --folder)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__mark__subcmd__new)
            opts="-h --folder --config --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --folder)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__mailbox__subcmd__watch)
            opts="-h --folder --json --config --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --folder)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__status)
            opts="-h --json --wait --config --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --wait)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__voicemail)
            opts="-h --dtmf --dtmf-after --play --record --sound --for --json --config --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --dtmf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dtmf-after)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --play)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --record)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --for)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        voicelamp__subcmd__cli__subcmd__watch)
            opts="-h --json --config --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _voicelamp__cli -o nosort -o bashdefault -o default voicelamp-cli
else
    complete -F _voicelamp__cli -o bashdefault -o default voicelamp-cli
fi
