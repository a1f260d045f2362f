; NSIS installer hooks (tauri.conf.json: bundle.windows.nsis.installerHooks): Voicelamp handles
; sip:, sips: and tel: links. Per-user or per-machine like the installation (SHCTX), removed with it.
; A link starts voicelamp-window.exe with the link as its argument; a running Voicelamp takes it
; over (single instance).

!macro VOICELAMP_URL_SCHEME SCHEME DESCRIPTION
  WriteRegStr SHCTX "Software\Classes\${SCHEME}" "" "URL:${DESCRIPTION}"
  WriteRegStr SHCTX "Software\Classes\${SCHEME}" "URL Protocol" ""
  WriteRegStr SHCTX "Software\Classes\${SCHEME}\DefaultIcon" "" "$\"$INSTDIR\voicelamp-window.exe$\",0"
  WriteRegStr SHCTX "Software\Classes\${SCHEME}\shell\open\command" "" "$\"$INSTDIR\voicelamp-window.exe$\" $\"%1$\""
  WriteRegStr SHCTX "Software\Voicelamp\Capabilities\URLAssociations" "${SCHEME}" "Voicelamp.Url"
!macroend

!macro NSIS_HOOK_POSTINSTALL
  ; Settings → Default apps lists Voicelamp for these links (the person chooses; Windows does not
  ; let an installer take them over).
  WriteRegStr SHCTX "Software\Classes\Voicelamp.Url" "" "Voicelamp link"
  WriteRegStr SHCTX "Software\Classes\Voicelamp.Url\shell\open\command" "" "$\"$INSTDIR\voicelamp-window.exe$\" $\"%1$\""
  WriteRegStr SHCTX "Software\Voicelamp\Capabilities" "ApplicationName" "Voicelamp"
  WriteRegStr SHCTX "Software\Voicelamp\Capabilities" "ApplicationDescription" "Voicemail lamp and softphone"
  !insertmacro VOICELAMP_URL_SCHEME "sip" "SIP"
  !insertmacro VOICELAMP_URL_SCHEME "sips" "SIPS"
  !insertmacro VOICELAMP_URL_SCHEME "tel" "Telephone number"
  WriteRegStr SHCTX "Software\RegisteredApplications" "Voicelamp" "Software\Voicelamp\Capabilities"
!macroend

!macro NSIS_HOOK_POSTUNINSTALL
  ; Only keys that still name this installation's program are removed: another handler the person
  ; chose since then keeps its link.
  !insertmacro VOICELAMP_REMOVE_SCHEME "sip"
  !insertmacro VOICELAMP_REMOVE_SCHEME "sips"
  !insertmacro VOICELAMP_REMOVE_SCHEME "tel"
  DeleteRegKey SHCTX "Software\Classes\Voicelamp.Url"
  DeleteRegValue SHCTX "Software\RegisteredApplications" "Voicelamp"
  DeleteRegKey SHCTX "Software\Voicelamp"
!macroend

!macro VOICELAMP_REMOVE_SCHEME SCHEME
  ReadRegStr $0 SHCTX "Software\Classes\${SCHEME}\shell\open\command" ""
  StrCmp $0 "$\"$INSTDIR\voicelamp-window.exe$\" $\"%1$\"" 0 +2
    DeleteRegKey SHCTX "Software\Classes\${SCHEME}"
!macroend
