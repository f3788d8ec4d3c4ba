/*
 * The value-mapping dialog of the HubSpot mapping editor.
 *
 * pretix's property rows carry a hidden "value_map" input and a button that opens #editValueMapModal, but pretix
 * does not ship that dialog. This file shows the button for pretix choice fields (e.g. order status), lets the
 * organizer pick a HubSpot value for each pretix option (e.g. a deal stage of the pipeline), and stores the result
 * as the JSON object pretix's data sync expects ({"pretix option": "HubSpot value"}).
 */
$(function () {
    'use strict'

    const $modal = $('#editValueMapModal')
    if (!$modal.length) {
        return
    }
    const $pretixFieldsScript = $('#hubspot-pretix-fields')
    const pretixFields = $pretixFieldsScript.length ? JSON.parse($pretixFieldsScript.text()) : {}
    const hubspotProperties = {}
    const $externalFields = $($modal.attr('data-external-fields'))
    if ($externalFields.length) {
        JSON.parse($externalFields.text()).forEach(function (property) {
            hubspotProperties[property.id] = property
        })
    }

    function parseValueMap (raw) {
        if (!raw) {
            return {}
        }
        try {
            const value = JSON.parse(raw)
            return (value && typeof value === 'object' && !Array.isArray(value)) ? value : {}
        } catch (e) {
            return {}
        }
    }

    function rowState ($row) {
        return {
            field: pretixFields[$row.find('select[name$="-pretix_field"]').val()],
            property: hubspotProperties[$row.find('[name$="-external_field"]').val()],
            $input: $row.find('input[name$="-value_map"]'),
        }
    }

    function unmappedOptions (state) {
        // Options of the pretix field that would reach a HubSpot option list without a valid HubSpot value.
        if (!state.field || !state.property || !state.property.options || !state.property.options.length) {
            return []
        }
        const map = parseValueMap(state.$input.val())
        const useMap = Object.keys(map).length > 0
        const allowed = state.property.options.map(function (option) { return option[0] })
        return state.field.options.filter(function (option) {
            const value = useMap ? map[option[0]] : option[0]
            return allowed.indexOf(value) === -1
        })
    }

    function refreshRow ($row) {
        const state = rowState($row)
        $row.find('[data-edit-value-map]').toggleClass('hidden', !state.field)
        // A written line below the row (not only an icon's tooltip), so screen readers and touch screens get it too.
        $row.find('[data-hubspot-value-map-warning]').toggleClass('hidden', !unmappedOptions(state).length)
        labelControls($row)
    }

    function labelControls ($row) {
        // A field too narrow for its text shows the whole text on hover: native selects get the chosen option as
        // title (select2 does the same for its own box).
        $row.find('select').each(function () {
            const text = $(this).find('option:selected').text().trim()
            if (text) {
                $(this).attr('title', text)
            } else {
                $(this).removeAttr('title')
            }
        })
        // select2 hides the <select> and labels its box only by the chosen value: name it by the column heading too.
        $row.find('select[aria-labelledby]').each(function () {
            const $box = $(this).next('.select2-container').find('.select2-selection')
            const container = $box.find('.select2-selection__rendered').attr('id')
            if ($box.length && container) {
                $box.attr('aria-labelledby', $(this).attr('aria-labelledby') + ' ' + container)
            }
        })
    }

    function refreshAll () {
        $('[data-hubspot-mapping-editor] [data-formset-form]').each(function () {
            refreshRow($(this))
        })
    }

    $(document).on('change', '[data-hubspot-mapping-editor] [data-formset-form] select, ' +
        '[data-hubspot-mapping-editor] [data-formset-form] input', function () {
        refreshRow($(this).closest('[data-formset-form]'))
    })
    $(document).on('formAdded', '[data-hubspot-mapping-editor] [data-formset-form]', function () {
        const $row = $(this)
        refreshRow($row)
        // pretix turns the new row's HubSpot field into a select2 box in its own handler of this event.
        window.setTimeout(function () { labelControls($row) }, 0)
    })

    $modal.on('show.bs.modal', function (event) {
        const $row = $(event.relatedTarget).closest('[data-formset-form]')
        const state = rowState($row)
        $modal.data('row', $row)
        const map = parseValueMap(state.$input.val())
        const $body = $modal.find('[data-value-map-rows]').empty()
        if (!state.field) {
            return
        }
        state.field.options.forEach(function (option) {
            const key = option[0]
            let $control
            if (state.property && state.property.options && state.property.options.length) {
                $control = $('<select class="form-control">')
                $control.append($('<option value="">').text($modal.attr('data-text-unmapped')))
                state.property.options.forEach(function (hubspotOption) {
                    $control.append($('<option>').val(hubspotOption[0])
                        .text(hubspotOption[1] + ' (' + hubspotOption[0] + ')'))
                })
                $control.val(map[key] || '')
            } else {
                $control = $('<input type="text" class="form-control">').val(map[key] || '')
            }
            $control.attr('data-value-map-key', key).attr('aria-label', option[1])
            $body.append($('<tr>').append($('<td>').text(option[1])).append($('<td>').append($control)))
        })
    })

    $modal.find('[data-value-map-apply]').on('click', function () {
        const $row = $modal.data('row')
        if (!$row) {
            return
        }
        const map = {}
        $modal.find('[data-value-map-key]').each(function () {
            const value = $(this).val()
            if (value) {
                map[$(this).attr('data-value-map-key')] = value
            }
        })
        const $input = rowState($row).$input
        $input.val(Object.keys(map).length ? JSON.stringify(map) : '').trigger('change')
        refreshRow($row)
        $modal.modal('hide')
    })

    // "Fill in suggested properties" reloads the page: offer it only as long as nothing has been entered.
    $(document).on('change formAdded', '[data-hubspot-mapping-editor]', function () {
        $('[data-hubspot-starter-set]').addClass('hidden')
    })

    refreshAll()
    labelControls($('[data-hubspot-identifier]'))

    // A new deals mapping: open the stage row's value mapping, so the organizer picks a stage per order status.
    const openValueMap = $('[data-hubspot-mapping-editor]').attr('data-hubspot-open-value-map')
    if (openValueMap) {
        $('[data-hubspot-mapping-editor] [data-formset-form]').filter(function () {
            return $(this).find('[name$="-external_field"]').val() === openValueMap
        }).first().find('[data-edit-value-map]').trigger('click')
    }
    // select2 boxes of the rows are set up by pretix when the page is ready, possibly after this handler.
    window.setTimeout(function () {
        $('[data-hubspot-mapping-editor] .formset-row').each(function () { labelControls($(this)) })
    }, 0)
})
