# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_voicelamp_cli_global_optspecs
    string join \n config= h/help V/version
end

function __fish_voicelamp_cli_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_voicelamp_cli_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_voicelamp_cli_using_subcommand
    set -l cmd (__fish_voicelamp_cli_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c voicelamp-cli -n "__fish_voicelamp_cli_needs_command" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_needs_command" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_needs_command" -s V -l version -d 'Print version'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_needs_command" -f -a "watch" -d 'Register, subscribe and print every change until Ctrl-C or SIGTERM'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_needs_command" -f -a "status" -d 'Print the state once every mailbox is known (or the wait is over); exit 1 if an account failed'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_needs_command" -f -a "check" -d 'Diagnose one account: registration, subscriptions and mailbox mapping, in words'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_needs_command" -f -a "mailbox" -d 'The account\'s voicemail messages (IMAP): list, fetch, mark heard or new, delete, watch'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_needs_command" -f -a "call" -d 'Place a call: its states and RTCP figures until it ends; exit 1 if it failed'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_needs_command" -f -a "voicemail" -d 'Call the account\'s voicemail (its access code), optionally sending keys'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand watch" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand watch" -l json -d 'One JSON object per line'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand watch" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand status" -l wait -d 'Longest wait for every mailbox to be known, in seconds' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand status" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand status" -l json -d 'One JSON object per line'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand status" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand check" -l wait -d 'Longest wait for the server\'s answers, in seconds' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand check" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand check" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and not __fish_seen_subcommand_from list fetch mark-heard mark-new delete watch help" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and not __fish_seen_subcommand_from list fetch mark-heard mark-new delete watch help" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and not __fish_seen_subcommand_from list fetch mark-heard mark-new delete watch help" -f -a "list" -d 'List messages: id, folder, caller, time, duration, urgent, heard, format, size'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and not __fish_seen_subcommand_from list fetch mark-heard mark-new delete watch help" -f -a "fetch" -d 'Write a message\'s audio, decoded to 16-bit PCM WAV'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and not __fish_seen_subcommand_from list fetch mark-heard mark-new delete watch help" -f -a "mark-heard" -d 'Mark a message heard (`\\Seen`), for every device that reads the box'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and not __fish_seen_subcommand_from list fetch mark-heard mark-new delete watch help" -f -a "mark-new" -d 'Mark a message new again'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and not __fish_seen_subcommand_from list fetch mark-heard mark-new delete watch help" -f -a "delete" -d 'Delete a message (to Trash when the box has one)'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and not __fish_seen_subcommand_from list fetch mark-heard mark-new delete watch help" -f -a "watch" -d 'Print changes of a folder as they happen, until Ctrl-C or SIGTERM'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and not __fish_seen_subcommand_from list fetch mark-heard mark-new delete watch help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from list" -l folder -d 'Only this folder (default: every configured folder, else all the server has)' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from list" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from list" -l json -d 'One JSON object per message and line'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from fetch" -l folder -d 'The folder holding the message (default: the one that lists it)' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from fetch" -l out -d 'The WAV file to write' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from fetch" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from fetch" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from mark-heard" -l folder -d 'The folder holding the message (default: the one that lists it)' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from mark-heard" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from mark-heard" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from mark-new" -l folder -d 'The folder holding the message (default: the one that lists it)' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from mark-new" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from mark-new" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from delete" -l folder -d 'The folder holding the message (default: the one that lists it)' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from delete" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from watch" -l folder -d 'The folder to follow' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from watch" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from watch" -l json -d 'One JSON object per change and line'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from watch" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from help" -f -a "list" -d 'List messages: id, folder, caller, time, duration, urgent, heard, format, size'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from help" -f -a "fetch" -d 'Write a message\'s audio, decoded to 16-bit PCM WAV'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from help" -f -a "mark-heard" -d 'Mark a message heard (`\\Seen`), for every device that reads the box'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from help" -f -a "mark-new" -d 'Mark a message new again'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a message (to Trash when the box has one)'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from help" -f -a "watch" -d 'Print changes of a folder as they happen, until Ctrl-C or SIGTERM'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand mailbox; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand call" -l dtmf -d 'Keys to send once the call is answered (0-9, *, #, A-D), e.g. 1234#' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand call" -l dtmf-after -d 'Seconds after the answer before the keys are sent' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand call" -l play -d 'A WAV file sent as the microphone' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand call" -l record -d 'Record what the call hears into this WAV file' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand call" -l for -d 'Hang up this many seconds after the answer' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand call" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand call" -l sound -d 'Use the sound devices of the configuration\'s [audio] (else the system\'s defaults) instead of files'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand call" -l json -d 'One JSON object per line'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand call" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand voicemail" -l dtmf -d 'Keys to send once the call is answered (0-9, *, #, A-D), e.g. 1234#' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand voicemail" -l dtmf-after -d 'Seconds after the answer before the keys are sent' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand voicemail" -l play -d 'A WAV file sent as the microphone' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand voicemail" -l record -d 'Record what the call hears into this WAV file' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand voicemail" -l for -d 'Hang up this many seconds after the answer' -r
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand voicemail" -l config -d 'Configuration file (default: the app\'s, e.g. ~/.config/voicelamp/config.toml)' -r -F
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand voicemail" -l sound -d 'Use the sound devices of the configuration\'s [audio] (else the system\'s defaults) instead of files'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand voicemail" -l json -d 'One JSON object per line'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand voicemail" -s h -l help -d 'Print help'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and not __fish_seen_subcommand_from watch status check mailbox call voicemail help" -f -a "watch" -d 'Register, subscribe and print every change until Ctrl-C or SIGTERM'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and not __fish_seen_subcommand_from watch status check mailbox call voicemail help" -f -a "status" -d 'Print the state once every mailbox is known (or the wait is over); exit 1 if an account failed'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and not __fish_seen_subcommand_from watch status check mailbox call voicemail help" -f -a "check" -d 'Diagnose one account: registration, subscriptions and mailbox mapping, in words'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and not __fish_seen_subcommand_from watch status check mailbox call voicemail help" -f -a "mailbox" -d 'The account\'s voicemail messages (IMAP): list, fetch, mark heard or new, delete, watch'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and not __fish_seen_subcommand_from watch status check mailbox call voicemail help" -f -a "call" -d 'Place a call: its states and RTCP figures until it ends; exit 1 if it failed'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and not __fish_seen_subcommand_from watch status check mailbox call voicemail help" -f -a "voicemail" -d 'Call the account\'s voicemail (its access code), optionally sending keys'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and not __fish_seen_subcommand_from watch status check mailbox call voicemail help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and __fish_seen_subcommand_from mailbox" -f -a "list" -d 'List messages: id, folder, caller, time, duration, urgent, heard, format, size'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and __fish_seen_subcommand_from mailbox" -f -a "fetch" -d 'Write a message\'s audio, decoded to 16-bit PCM WAV'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and __fish_seen_subcommand_from mailbox" -f -a "mark-heard" -d 'Mark a message heard (`\\Seen`), for every device that reads the box'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and __fish_seen_subcommand_from mailbox" -f -a "mark-new" -d 'Mark a message new again'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and __fish_seen_subcommand_from mailbox" -f -a "delete" -d 'Delete a message (to Trash when the box has one)'
complete -c voicelamp-cli -n "__fish_voicelamp_cli_using_subcommand help; and __fish_seen_subcommand_from mailbox" -f -a "watch" -d 'Print changes of a folder as they happen, until Ctrl-C or SIGTERM'
